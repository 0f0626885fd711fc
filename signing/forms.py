"""Forms of the signer pages. Passphrase fields never render their value back."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SignForm(forms.Form):
    certificate = forms.ModelChoiceField(queryset=None, label=_("Certificate and key"), empty_label=None)
    secret = forms.CharField(label=_("Passphrase or PIN"), strip=False,
                             widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    records = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=(),
                                             widget=forms.CheckboxSelectMultiple, label=_("Records"))
    select_all = forms.BooleanField(required=False, label=_("Sign every record awaiting my signature"))

    def __init__(self, *args, certificates, record_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certificate"].queryset = certificates
        # Any id is accepted by the form: the service checks scope and refuses outsiders.
        self.fields["records"].choices = [(i, i) for i in record_ids]
        self.fields["records"].valid_value = lambda value: True

    def clean(self):
        data = super().clean()
        if not data.get("select_all") and not data.get("records"):
            raise forms.ValidationError(_("Select at least one record to sign."))
        return data


class ResumeForm(forms.Form):
    secret = forms.CharField(label=_("Passphrase or PIN"), strip=False,
                             widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))


class Pkcs12UploadForm(forms.Form):
    file = forms.FileField(label=_("PKCS#12 key file (.p12/.pfx)"))
    passphrase = forms.CharField(
        label=_("Passphrase of the file"), strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 64 * 1024:
            raise forms.ValidationError(_("A key file is never larger than 64 KB."))
        return upload
