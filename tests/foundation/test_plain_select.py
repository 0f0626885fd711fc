"""PlainSelect writes the very HTML Django's select templates write, whatever the choices."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.translation import gettext_lazy, override

from records.models import VaccineProduct
from vaxrecon.widgets import PlainSelect

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
