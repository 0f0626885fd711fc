from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.csv or .xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))


class AcceptForm(forms.Form):
    citizen_id = forms.IntegerField(widget=forms.HiddenInput)


class RejectForm(forms.Form):
    note = forms.CharField(label=_("Why is this record rejected?"), max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class NewCitizenForm(forms.Form):
    """What the reviewer may add before creating a citizen from a record that lacks it."""

    sex = forms.ChoiceField(label=_("Sex"), required=False,
                            choices=[("", "—"), ("M", _("Male")), ("F", _("Female"))])
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

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
