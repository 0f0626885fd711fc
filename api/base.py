"""What every API view shares: the acting user's scope, the roles it serves, and idempotent POSTs.

A view parses (an input serializer), calls one service or selector, renders (an output
serializer); errors are raised and answered as problem details by the one mapping."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated

from api.idempotency import idempotent
from vaxrecon.access import Scope, scope_for


class HasRole(BasePermission):
    message = _("Your role cannot use this endpoint.")

    def has_permission(self, request, view) -> bool:
        roles = view.roles if request.method in SAFE_METHODS or view.write_roles is None else view.write_roles
        return scope_for(request.user).role in roles


class ApiView(GenericAPIView):
    roles: frozenset = frozenset()  # who may call it
    write_roles: frozenset | None = None  # who may POST/PATCH it, when fewer than `roles`
    permission_classes = [IsAuthenticated, HasRole]

    @property
    def scope(self) -> Scope:
        return scope_for(self.request.user)

    def parsed(self, serializer_class=None, *, data=None) -> dict:
        """The request body (or `data`) checked by the input serializer: its validated data."""
        if hasattr(data, "dict"):  # a query as plain values: `?date=` is then an empty date, not none given
            data = data.dict()
        serializer = (serializer_class or self.get_serializer_class())(
            data=self.request.data if data is None else data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class PostView(ApiView):
    """A POST endpoint: `perform_post` runs once per Idempotency-Key and returns its Response."""

    def post(self, request, *args, **kwargs):
        return idempotent(self, request, lambda: self.perform_post(request, *args, **kwargs))

    def perform_post(self, request, *args, **kwargs):
        raise NotImplementedError
