from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from api.models import ApiKey
from api.services import MAX_DAYS


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Software using the key"), max_length=100)
    role = forms.ChoiceField(label=_("Acts as"), choices=ApiKey.KeyRole.choices)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=MAX_DAYS,
                              initial=lambda: settings.API_KEY_DAYS)
