from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

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
