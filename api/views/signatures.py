"""Checking a record's signatures: chain, validity, revocation and tamper, as the check page does."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.models import Role
from api.base import ApiView
from api.serializers.signatures import RecordSignaturesOut
from signing import selectors, services
from signing.models import Signature

CHECKERS = frozenset({Role.SIGNER, Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST, Role.CLINIC_STAFF})


class RecordSignatures(ApiView):
    roles = CHECKERS
    serializer_class = RecordSignaturesOut

    @extend_schema(operation_id="signatures_check", summary="Check every signature of a record in scope")
    def get(self, request, pk: int):
        record = selectors.record_for_check(scope=self.scope, pk=pk)
        signatures = (Signature.objects.filter(record=record).select_related("certificate", "signed_by")
                      .order_by("id"))
        reports = list(services.signatures_verify(signatures))
        return Response(RecordSignaturesOut({
            "record": record.pk, "version": record.version, "status": record.status,
            "ok": bool(reports) and all(r.ok for r in reports), "signatures": reports}).data)
