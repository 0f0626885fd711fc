"""Who the caller is: role and scope (a client checks its key with it)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.models import Role
from api.base import ApiView
from api.models import ApiKey
from api.serializers.me import MeOut


class Me(ApiView):
    roles = frozenset(Role.values)
    serializer_class = MeOut

    @extend_schema(operation_id="me", summary="The caller's role and scope")
    def get(self, request):
        scope, key = self.scope, request.auth if isinstance(request.auth, ApiKey) else None
        return Response(MeOut({
            "username": request.user.get_username(), "role": scope.role, "scope": scope.kind,
            "facility": scope.facility_id, "ward": scope.ward_id, "province": scope.province_id,
            "api_key": key.prefix if key else None}).data)
