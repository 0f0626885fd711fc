"""PlainSelect and PlainRenderer (FORM_RENDERER) write the very HTML Django's templates write:
selects whatever the choices, and every field of every form of the pages, unbound and refused."""

from __future__ import annotations

import importlib
import itertools

import pytest
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy, override

from records.models import VaccineProduct
from vaxrecon.widgets import PlainRenderer, PlainSelect

CHOICES = [
    ("", "— chọn —"),
    (1, 1),
    ("a&b", 'Tên "có" <b>dấu</b> & ký tự'),
    ("lazy", gettext_lazy("Male")),
    ("Nhóm", [("x", "Một"), ("y", "Hai")]),
    (10, "10"),
]


@pytest.mark.parametrize("value", ["", 1, "1", "a&b", "y", 10, None, ["x", 10]])
@pytest.mark.parametrize("attrs", [{}, {"required": True, "class": "wide"},
                                   {"disabled": False, "data-x": '"q"'}])
def test_the_same_html_as_djangos_select(value, attrs):
    multiple = isinstance(value, list)
    django_widget = (forms.SelectMultiple if multiple else forms.Select)(attrs=attrs, choices=CHOICES)
    plain_class = type("PlainMultiple", (PlainSelect,), {"allow_multiple_selected": True}) if multiple \
        else PlainSelect
    plain = plain_class(attrs=attrs, choices=CHOICES)
    with override("en"):
        expected = django_widget.render("fix1-vaccine", value, attrs={"id": "id_fix1-vaccine"})
        given = plain.render("fix1-vaccine", value, attrs={"id": "id_fix1-vaccine"})
    assert given == expected
    assert "&lt;b&gt;" in given and "Male" in given


@pytest.mark.django_db
def test_the_same_html_for_a_model_choice_field():
    field = forms.ModelChoiceField(queryset=VaccineProduct.objects.all(), to_field_name="code",
                                   empty_label="— chọn —")
    plain = forms.ModelChoiceField(queryset=VaccineProduct.objects.all(), to_field_name="code",
                                   empty_label="— chọn —", widget=PlainSelect)
    expected = field.widget.render("vaccine", "pfizer")
    assert plain.widget.render("vaccine", "pfizer") == expected
    assert 'value="pfizer" selected' in expected


class Everything(forms.Form):
    """What the pages' forms do not all use: help text, a fieldset, hidden, password, e-mail,
    number, date and textarea fields, required CSS, an initial value to escape."""

    required_css_class = "req"
    name = forms.CharField(label="Tên <b>", help_text="Gợi ý <i>ngắn</i>", initial='a "b" <c>')
    sex = forms.ChoiceField(label="Giới tính", choices=[("M", "Nam"), ("F", "Nữ")], widget=forms.RadioSelect)
    hidden = forms.CharField(widget=forms.HiddenInput, initial="x&y", required=False)
    secret = forms.CharField(widget=forms.PasswordInput)
    mail = forms.EmailField(label="E-mail?", required=False)
    count = forms.IntegerField(initial=3, help_text="")
    day = forms.DateField(widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}), required=False)
    note = forms.CharField(widget=forms.Textarea, required=False)
    agree = forms.BooleanField(label="", required=False)


def page_forms() -> list[type[forms.Form]]:
    for module in ("verification.forms", "verification.police.forms", "verification.imports.forms",
                   "signing.forms", "certificates.forms", "api.forms"):
        importlib.import_module(module)

    def below(cls):
        return itertools.chain.from_iterable([sub, *below(sub)] for sub in cls.__subclasses__())

    ours = {cls for cls in below(forms.BaseForm) if cls.__module__.split(".")[0] in
            ("verification", "signing", "certificates", "api", "accounts", "records", "reports")}
    return sorted(ours | {AuthenticationForm, Everything}, key=lambda cls: cls.__qualname__)


def html_of(form_class, renderer, data):
    try:
        form = form_class(data, renderer=renderer) if data is not None else form_class(renderer=renderer)
    except TypeError:  # needs arguments of its page (a user, a certificate list): left out
        return None
    if data is not None:
        form.is_valid()
    return [(str(bf.as_field_group()), str(bf.label_tag()), str(bf.errors), str(bf)) for bf in form] + [
        str(form.non_field_errors())]


@pytest.mark.django_db
@pytest.mark.parametrize("data", [None, {}, {"name": "<x>", "count": "many", "mail": "no", "sex": "F"}])
def test_every_form_of_the_pages_renders_as_with_djangos_templates(data):
    compared = 0
    for form_class in page_forms():
        with override("vi"):
            expected = html_of(form_class, DjangoTemplates(), data)
            if expected is None:
                continue
            assert html_of(form_class, PlainRenderer(), data) == expected, form_class.__qualname__
        compared += 1
    assert compared >= 15, compared
