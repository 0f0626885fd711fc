"""The officer's outcome form: one form, four outcome buttons, a note, and the correct
values used when the identity does not match."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from records import normalize
from verification.forms import DATE_TYPED, DateField
from verification.models import PoliceVerification

DMY = "%d/%m/%Y"
SEX_CHOICES = [("", "—"), ("M", _("Male")), ("F", _("Female"))]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=PoliceVerification.Outcome.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    full_name = forms.CharField(label=_("Full name"), required=False, max_length=150)
    date_of_birth = forms.CharField(label=_("Date of birth (dd/mm/yyyy)"), required=False, max_length=10,
                                    widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=SEX_CHOICES)
    id_number = forms.CharField(label=_("CCCD/CMND number"), required=False, max_length=14,
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"].strip()
        if not value:
            return None
        try:
            return normalize.parse_date(value)
        except ValueError:
            raise forms.ValidationError(_("Enter the date of birth as dd/mm/yyyy."))

    def correct_values(self) -> dict:
        names = ("full_name", "date_of_birth", "sex", "id_number")
        return {name: self.cleaned_data.get(name) for name in names}


class ReportRangeForm(forms.Form):
    start = DateField(label=_("From"), required=False, widget=forms.DateInput(attrs=DATE_TYPED, format=DMY))
    end = DateField(label=_("To"), required=False, widget=forms.DateInput(attrs=DATE_TYPED, format=DMY))
