// Small page behaviours, bound from data- attributes so the pages need no inline script
// (the Content-Security-Policy allows scripts from our own static files only). Every page
// works without it: forms still submit, the print button aside.
(function () {
  "use strict";

  // <select data-autosubmit>: choosing an option submits its form (the language picker).
  document.addEventListener("change", function (event) {
    const select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });

  document.addEventListener("click", function (event) {
    // <input type=checkbox data-check-all="selector">: ticks or clears every box it names.
    const all = event.target.closest("input[data-check-all]");
    if (all) {
      document.querySelectorAll(all.dataset.checkAll).forEach(function (box) {
        box.checked = all.checked;
      });
    }
    // <button data-print>: the browser's print dialog (the print view is in the CSS).
    if (event.target.closest("[data-print]")) window.print();
  });

  // <form data-confirm="question">: asks before submitting.
  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
})();
