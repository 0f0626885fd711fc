from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from records.normalize import normalize_id, parse_birth_date

MAX_IMAGE_BYTES = 5 * 1024 * 1024


class VerifyForm(forms.Form):
    """The verifier's input: the ``HC1:`` text pasted, or a photo of the QR code."""

    hc1 = forms.CharField(label=_("Certificate text (HC1:…)"), required=False, max_length=8000,
                          widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}))
    image = forms.ImageField(label=_("or a photo of the QR code"), required=False)

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and image.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError(_("The photo is larger than 5 MB."))
        return image

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("hc1") and not data.get("image"):
            raise forms.ValidationError(_("Paste the certificate text or choose a photo of its QR code."))
        return data


class HolderLookupForm(forms.Form):
    """A citizen finds their own certificate: CCCD and date of birth, then a code to the phone on record."""

    cccd = forms.CharField(label=_("CCCD number (12 digits)"), max_length=20,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    date_of_birth = forms.CharField(
        label=_("Date of birth (dd/mm/yyyy, or the year if that is all you gave)"), max_length=20)

    def clean_cccd(self):
        number = normalize_id(self.cleaned_data["cccd"])
        if not number.cccd:
            raise forms.ValidationError(_("A CCCD number has 12 digits."))
        return number.cccd

    def clean_date_of_birth(self):
        try:
            birth = parse_birth_date(self.cleaned_data["date_of_birth"])
        except ValueError:
            raise forms.ValidationError(
                _("Type the date of birth as dd/mm/yyyy, or the year only.")) from None
        if not birth.is_known:
            raise forms.ValidationError(_("Type the date of birth."))
        return birth
