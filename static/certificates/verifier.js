// The verifier page's camera: scan the QR with the phone's camera and check it like a pasted text.
// The decoder is jsQR (npm package "jsqr", served from our static files as vendor/jsqr/dist/jsQR.js)
// or the browser's own BarcodeDetector where it has one. Without either, or without a camera, the
// button stays hidden and the page works as before: paste the text or upload a photo.
(function () {
  "use strict";

  const box = document.querySelector("[data-camera]");
  if (!box) return;
  const button = box.querySelector("[data-camera-start]");
  const video = box.querySelector("video");
  const note = box.querySelector("[data-camera-note]");
  const form = document.querySelector("form[data-verifier]");
  const field = form && form.querySelector("textarea[name=hc1]");
  const native = "BarcodeDetector" in window;
  const canDecode = native || typeof window.jsQR === "function";
  if (!button || !video || !field || !canDecode || !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
    return;
  }
  button.hidden = false;

  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const detector = native ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  let stream = null;

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
  }

  function found(text) {
    if (!text || text.indexOf("HC1:") !== 0) return false;
    stop();
    field.value = text;
    form.submit();
    return true;
  }

  async function decode() {
    if (detector) {
      const codes = await detector.detect(video);
      return codes.length ? codes[0].rawValue : null;
    }
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return code ? code.data : null;
  }

  async function tick() {
    if (!stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      try {
        if (found(await decode())) return;
      } catch (error) {
        // A frame that cannot be read: try the next one.
      }
    }
    window.requestAnimationFrame(tick);
  }

  button.addEventListener("click", async function () {
    if (stream) { stop(); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      if (note) note.hidden = false;  // no camera or permission refused: paste or upload instead
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    window.requestAnimationFrame(tick);
  });
})();
