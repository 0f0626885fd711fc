"""Citizens: look-up by CCCD, or by full name and date of birth, within the caller's scope."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from accounts.models import Role
from api.base import ApiView
from api.serializers.citizens import CitizenLookupIn, CitizenOut
from records.models import Citizen
from records.selectors import citizens_matching


class CitizenLookup(ApiView):
    roles = frozenset({Role.CLINIC_STAFF, Role.COMMUNE_POLICE, Role.PROVINCIAL_OFFICER,
                       Role.MINISTRY_ANALYST})
    serializer_class = CitizenOut
    queryset = Citizen.objects.none()  # the model, for the schema; rows come from citizens_matching

    @extend_schema(operation_id="citizens_lookup", summary="Find citizens in scope (CCCD and phone masked)",
                   parameters=[CitizenLookupIn], responses=CitizenOut(many=True))
    def get(self, request):
        query = self.parsed(CitizenLookupIn, data=request.query_params)
        page = self.paginate_queryset(citizens_matching(scope=self.scope, **query))
        return self.get_paginated_response(CitizenOut(page, many=True).data)
