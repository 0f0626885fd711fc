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

    def __init__(self, *args, roles: tuple[str, ...], **kwargs):
        """`roles`: those the managing user's keys may act in (api.selectors.key_holder)."""
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(value, label) for value, label in ApiKey.KeyRole.choices
                                       if value in roles]
