"""Forms for the citizen's report and the clinic's actions. They parse and re-display input;
the rules live in the services, whose errors come back onto the named field."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from records import normalize
from records.models import Facility, Province, VaccineProduct, Ward
from vaxrecon.widgets import PlainSelect
from verification.selectors import QUEUE_OLDEST_FIRST, QUEUE_OVERDUE_FIRST, facilities_matching
from verification.workflow import CaseStatus, RejectReason

SEX_CHOICES = [("M", _("Male")), ("F", _("Female"))]
UNKNOWN_VACCINE = "unknown"
EVIDENCE_TYPES = "image/jpeg,image/png,application/pdf"
DATE_TYPED = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}  # widgets copy their attrs


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": EVIDENCE_TYPES}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class BirthField(forms.CharField):
    """dd/mm/yyyy, yyyy-mm-dd or a bare year -> normalize.BirthDate."""

    def to_python(self, value):
        text = super().to_python(value)
        try:
            return normalize.parse_birth_date(text)
        except ValueError:
            raise forms.ValidationError(_("Write the date as dd/mm/yyyy, or only the year (e.g. 1985)."))


class DateField(forms.DateField):
    input_formats = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"]
    default_error_messages = {"invalid": _("Write the date as dd/mm/yyyy.")}


def _vaccine_choices():
    return [("", _("— choose —"))] + [(v.code, v.name) for v in VaccineProduct.objects.all()] + [
        (UNKNOWN_VACCINE, _("I don't know"))]


class IdentityFields(forms.Form):
    full_name = forms.CharField(label=_("Full name (as on the CCCD)"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    date_of_birth = BirthField(label=_("Date of birth"),
                               help_text=_("dd/mm/yyyy, or only the year if that is all you know"),
                               widget=forms.TextInput(attrs=DATE_TYPED))
    sex = forms.ChoiceField(label=_("Sex"), choices=SEX_CHOICES, widget=forms.RadioSelect)
    id_number = forms.CharField(label=_("CCCD number (12 digits) or old CMND (9 digits)"), max_length=20,
                                required=False,
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))


class ReportForm(IdentityFields):
    phone = forms.CharField(label=_("Mobile phone"), max_length=20,
                            help_text=_("A code is sent to this number to confirm the report."),
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    province = forms.ModelChoiceField(label=_("Province/city where you live"),
                                      queryset=Province.objects.all(), empty_label=_("— choose —"))
    ward = forms.ModelChoiceField(label=_("Commune/ward where you live"), queryset=Ward.objects.none(),
                                  empty_label=_("— choose the province first —"))
    vaccine = forms.ChoiceField(label=_("Vaccine"), choices=())
    dose_number = forms.TypedChoiceField(label=_("Which dose"), coerce=int,
                                         choices=[(n, n) for n in range(1, 6)], initial=1)
    injection_date = DateField(label=_("Date of the injection"), widget=forms.TextInput(attrs=DATE_TYPED))
    facility_query = forms.CharField(
        label=_("Where were you vaccinated?"), required=False,
        help_text=_("Type part of the name of the vaccination site or of its commune."))
    facility = forms.ModelChoiceField(queryset=Facility.objects.filter(active=True), required=False,
                                      widget=forms.RadioSelect)
    facility_unknown = forms.BooleanField(label=_("I don't remember the vaccination site"), required=False)
    lot_number = forms.CharField(label=_("Lot number (if on the slip)"), max_length=30, required=False)
    evidence = MultipleFileField(label=_("Photo or scan of the vaccination slip"),
                                 help_text=_("JPEG, PNG or PDF, at most 5 MB each, up to 5 files."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vaccine"].choices = _vaccine_choices()
        province = self.data.get("province") if self.is_bound else None
        if province and str(province).isdigit():
            self.fields["ward"].queryset = Ward.objects.filter(province_id=int(province))
        self.facility_results = []
        if self.is_bound:
            query = self.data.get("facility_query", "")
            province_id = int(province) if province and str(province).isdigit() else None
            self.facility_results = facilities_matching(text=query, province_id=province_id) if query else []
            chosen = self.data.get("facility")
            if chosen and str(chosen).isdigit() and all(f.pk != int(chosen) for f in self.facility_results):
                chosen_site = list(Facility.objects.filter(pk=int(chosen), active=True))
                self.facility_results = chosen_site + self.facility_results

    def clean(self):
        data = super().clean()
        if not data.get("facility") and not data.get("facility_unknown") and "facility" not in self.errors:
            self.add_error("facility", _("Choose the vaccination site from the list found, or tick "
                                         "“I don't remember the vaccination site”."))
        return data

    def vaccine_product(self):
        code = self.cleaned_data.get("vaccine")
        return VaccineProduct.objects.filter(code=code).first() if code and code != UNKNOWN_VACCINE else None


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code from the SMS (6 digits)"), max_length=10, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}))


class TrackingForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=20,
                           widget=forms.TextInput(attrs={"autocapitalize": "characters",
                                                         "autocomplete": "off"}))


class ProvideInfoForm(forms.Form):
    message = forms.CharField(label=_("Your answer"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    evidence = MultipleFileField(label=_("More files"), help_text=_("JPEG, PNG or PDF, at most 5 MB each."))


# --- Clinic staff ------------------------------------------------------------------------

class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("State"), required=False,
                               choices=[("", _("All open"))] + list(CaseStatus.choices))
    submitted_from = DateField(label=_("Submitted from"), required=False,
                               widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy"}))
    submitted_to = DateField(label=_("to"), required=False,
                             widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy"}))
    q = forms.CharField(label=_("Name, tracking code, CCCD/CMND or phone"), required=False)
    sort = forms.ChoiceField(label=_("Order"), required=False,
                             choices=[(QUEUE_OLDEST_FIRST, _("Oldest first")),
                                      (QUEUE_OVERDUE_FIRST, _("Overdue first"))])


class CitizenCreateForm(IdentityFields):
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)


class IdentityCorrectionForm(IdentityFields):
    pass


class DoseChoices:
    """The options of several dose forms of one page, read once: the vaccines, and every form's
    facilities in one query (each form shows its own, in the order its queryset would). The
    fields still validate what is sent against their querysets."""

    def __init__(self, facility_ids):
        self.vaccines = list(DoseForm.base_fields["vaccine"].queryset)
        self.facilities = list(Facility.objects.filter(pk__in={i for i in facility_ids if i}))

    @staticmethod
    def apply(field: forms.ModelChoiceField, objects: list) -> None:
        choice = field.iterator(field).choice
        field.choices = [("", field.empty_label)] + [choice(obj) for obj in objects]


class DoseForm(forms.Form):
    vaccine = forms.ModelChoiceField(label=_("Vaccine"), queryset=VaccineProduct.objects.all(),
                                     to_field_name="code", empty_label=_("— choose —"), widget=PlainSelect)
    dose_number = forms.TypedChoiceField(label=_("Dose number"), coerce=int, widget=PlainSelect,
                                         choices=[(n, n) for n in range(1, 11)])
    injection_date = DateField(label=_("Injection date"),
                               widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy"}))
    lot_number = forms.CharField(label=_("Lot number"), max_length=30, required=False)
    facility = forms.ModelChoiceField(label=_("Given at"), queryset=Facility.objects.none(), required=False,
                                      empty_label=_("— unknown —"), widget=PlainSelect)

    def __init__(self, *args, facilities=None, choices: DoseChoices | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        ids = [f.pk for f in (facilities or []) if f]
        self.fields["facility"].queryset = Facility.objects.filter(pk__in=ids)
        if choices is not None:  # the options read once for every form of the page
            choices.apply(self.fields["vaccine"], choices.vaccines)
            choices.apply(self.fields["facility"], [f for f in choices.facilities if f.pk in ids])

    def clean_injection_date(self):
        value = self.cleaned_data["injection_date"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("Injection date cannot be in the future."))
        return value


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"),
                               choices=[("", _("— choose —")), *RejectReason.choices])
    note = forms.CharField(label=_("Note for the citizen"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Required for “Other reason”. The citizen sees it."))


class RequestInfoForm(forms.Form):
    message = forms.CharField(label=_("What the citizen should send or correct"),
                              widget=forms.Textarea(attrs={"rows": 2}))
