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
