"""``Authorization: ApiKey vxr_<prefix>_<secret>``: a facility's software acting as its key."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from api.selectors import key_for_token
from api.services import api_key_used

KEYWORD = "ApiKey"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """The key's own user (role and facility of the key) as request.user, the key as request.auth.
    No header: not this scheme (session authentication may still apply). A wrong, expired or
    revoked key: 401, whatever else the request carries."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != KEYWORD:
            return None
        key = key_for_token(header[1]) if len(header) == 2 else None
        if key is None or not key.user.is_active:
            raise exceptions.AuthenticationFailed(_("The API key is unknown, expired or revoked."))
        api_key_used(key=key)
        return key.user, key

    def authenticate_header(self, request) -> str:
        return KEYWORD
