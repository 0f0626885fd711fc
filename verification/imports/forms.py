from django import forms
from django.utils.translation import gettext_lazy as _

from verification.forms import DATE_TYPED, DateField


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.csv or .xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))


class RegistrySearchForm(forms.Form):
    """The registry searched from the review page: a whole CCCD/CMND, a phone, or a name with its
    date of birth (a partial key finds nothing: the registry is not browsed)."""

    cccd = forms.CharField(label=_("CCCD/CMND"), max_length=20, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    date_of_birth = DateField(label=_("Date of birth"), required=False,
                              widget=forms.TextInput(attrs=DATE_TYPED))

    def clean(self):
        data = super().clean()
        if bool(data.get("full_name")) != bool(data.get("date_of_birth")) and not self.errors:
            raise forms.ValidationError(_("A name is searched with its date of birth: give both."))
        return data

    TERMS = ("cccd", "phone", "full_name", "date_of_birth")

    def terms(self) -> dict:
        return {name: self.cleaned_data.get(name) or ("" if name != "date_of_birth" else None)
                for name in self.TERMS}

    def has_terms(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.TERMS)


class AcceptForm(RegistrySearchForm):
    """A candidate chosen; the search terms come along when the registry search found them."""

    citizen_id = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False)
    reason = forms.CharField(label=_("Why is this the same person?"), max_length=1000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(forms.Form):
    note = forms.CharField(label=_("Why is this record rejected?"), max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class NewCitizenForm(forms.Form):
    """What the reviewer may add before creating a citizen from a record that lacks it."""

    sex = forms.ChoiceField(label=_("Sex"), required=False,
                            choices=[("", "—"), ("M", _("Male")), ("F", _("Female"))])
    date_of_birth = DateField(label=_("Date of birth"), required=False,
                              widget=forms.DateInput(attrs=DATE_TYPED, format="%d/%m/%Y"))

    def __init__(self, *args, missing: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for name, absent in missing.items():
            if not absent:
                del self.fields[name]
        if "sex" in self.fields:
            self.fields["sex"].help_text = _(
                "The record has no sex: take it from the paper record or the person.")
        if "date_of_birth" in self.fields:
            self.fields["date_of_birth"].help_text = _(
                "The record has no full date of birth: add it if you know it (optional when the record gives "
                "the year).")
