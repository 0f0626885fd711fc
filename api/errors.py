"""The API's own refusals, a branch of the one error family (``vaxrecon.errors``): HTTP
preconditions and idempotency keys. They reach the client as problem details like any other."""

from __future__ import annotations

from vaxrecon.errors import DomainError, InvalidInput


class PreconditionRequired(DomainError):
    """A PATCH without If-Match: the client must say which version it corrects."""

    status_code, code = 428, "precondition_required"


class PreconditionFailed(DomainError):
    """If-Match names a version that is no longer the current one: nothing was changed."""

    status_code, code = 412, "precondition_failed"


class IdempotencyKeyMissing(InvalidInput):
    code = "idempotency_key_required"


class IdempotencyKeyReused(DomainError):
    """The key was used before for another request (another body or path)."""

    status_code, code = 422, "idempotency_key_reused"
