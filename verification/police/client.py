"""The client for the national population database: timeouts, retries with backoff, and a
circuit breaker shared by every process.

The registry belongs to another ministry and is reached over the network, so every call
may be slow, fail, or fail for a long time. A call is retried a few times with exponential
backoff (with jitter, so many workers do not retry in step); after
POPULATION_REGISTRY_BREAKER_THRESHOLD failed calls in a row the breaker opens and calls
fail at once for POPULATION_REGISTRY_BREAKER_COOLDOWN seconds; then one process takes a
trial call (half-open) and its result closes or re-opens the breaker.

The breaker's state is a row in the database (`RegistryCircuit`), not process memory:
web processes and every Celery worker see the same state, it survives restarts, and the
pages read it to tell officers that verification is delayed.
"""

from __future__ import annotations

import json
import logging
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from verification.models import RegistryCircuit

log = logging.getLogger(__name__)

SERVICE = "population_registry"
MAX_BATCH = 500
OUTCOMES = {"match", "mismatch", "not_found"}


class RegistryError(Exception):
    pass


class RegistryUnavailable(RegistryError):
    """Down, slow, answering 5xx, or the breaker is open: try again later."""


class RegistryRejected(RegistryError):
    """The registry refused the request itself (bad key, bad body): retrying will not help."""


@dataclass(frozen=True)
class RegistryAnswer:
    ref: str
    outcome: str  # match / mismatch / not_found
    registry_values: dict = field(default_factory=dict)
    differing_fields: list = field(default_factory=list)


@dataclass(frozen=True)
class BatchAnswer:
    batch_id: str
    answers: dict[str, RegistryAnswer]  # by ref; a ref missing here was not answered


class CircuitBreaker:
    """closed -> (threshold failures) -> open -> (cooldown) -> half_open -> closed | open."""

    def __init__(self, *, service: str = SERVICE, threshold: int, cooldown: int):
        self.service, self.threshold, self.cooldown = service, threshold, cooldown

    def _row(self) -> RegistryCircuit:
        row, _ = RegistryCircuit.objects.get_or_create(service=self.service)
        return row

    def before_call(self) -> None:
        """Raise RegistryUnavailable while open; let exactly one caller through to try again."""
        row = self._row()
        if row.state == RegistryCircuit.State.CLOSED:
            return
        now = timezone.now()
        # Only one process wins the trial call: a conditional UPDATE that must touch one row.
        # The trial holds a lease of one cooldown, so a crashed trial does not block forever.
        taken = RegistryCircuit.objects.filter(
            pk=row.pk, state__in=[RegistryCircuit.State.OPEN, RegistryCircuit.State.HALF_OPEN],
        ).filter(Q(opened_until__isnull=True) | Q(opened_until__lte=now)).update(
            state=RegistryCircuit.State.HALF_OPEN, opened_until=now + timedelta(seconds=self.cooldown))
        if not taken:
            raise RegistryUnavailable("circuit open: the population registry failed recently")

    def record_success(self) -> None:
        RegistryCircuit.objects.filter(service=self.service).update(
            state=RegistryCircuit.State.CLOSED, consecutive_failures=0, opened_until=None, last_error="",
            last_success_at=timezone.now())

    def record_failure(self, error: str) -> None:
        now = timezone.now()
        qs = RegistryCircuit.objects.filter(service=self.service)
        qs.update(consecutive_failures=F("consecutive_failures") + 1, last_failure_at=now,
                  last_error=error[:200])
        # A failed trial re-opens at once; otherwise open when the threshold is reached.
        trips = Q(state=RegistryCircuit.State.HALF_OPEN) | Q(consecutive_failures__gte=self.threshold)
        qs.filter(trips).update(state=RegistryCircuit.State.OPEN,
                                opened_until=now + timedelta(seconds=self.cooldown))


def circuit_status() -> RegistryCircuit | None:
    return RegistryCircuit.objects.filter(service=SERVICE).first()


class RegistryClient:
    """verify(items) -> BatchAnswer. Raises RegistryUnavailable or RegistryRejected."""

    def __init__(self, *, base_url: str, api_key: str, timeout: float, retries: int, backoff: float,
                 breaker: CircuitBreaker, sleep=time.sleep):
        self.url = base_url.rstrip("/") + "/v1/identities/verify"
        self.api_key, self.timeout, self.retries, self.backoff = api_key, timeout, retries, backoff
        self.breaker, self.sleep = breaker, sleep
        self.attempts = 0  # HTTP attempts made by this client (for tests and logs)

    @classmethod
    def from_settings(cls, **overrides) -> RegistryClient:
        options = dict(
            base_url=settings.POPULATION_REGISTRY_URL, api_key=settings.POPULATION_REGISTRY_API_KEY,
            timeout=settings.POPULATION_REGISTRY_TIMEOUT, retries=settings.POPULATION_REGISTRY_RETRIES,
            backoff=settings.POPULATION_REGISTRY_BACKOFF,
            breaker=CircuitBreaker(threshold=settings.POPULATION_REGISTRY_BREAKER_THRESHOLD,
                                   cooldown=settings.POPULATION_REGISTRY_BREAKER_COOLDOWN),
        )
        options.update(overrides)
        return cls(**options)

    def verify(self, items: list[dict]) -> BatchAnswer:
        if len(items) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} identities per call")
        self.breaker.before_call()
        try:
            body = self._post_with_retries({"items": items})
        except RegistryUnavailable as exc:
            self.breaker.record_failure(str(exc))
            raise
        self.breaker.record_success()
        return self._parse(body)

    def _post_with_retries(self, payload: dict) -> dict:
        for attempt in range(self.retries + 1):
            try:
                return self._post(payload)
            except RegistryUnavailable as exc:
                if attempt == self.retries:
                    raise
                delay = self.backoff * (2 ** attempt) * (0.5 + random.random() / 2)
                log.warning("population registry: %s; retry %d in %.2fs", exc, attempt + 1, delay)
                self.sleep(delay)
        raise AssertionError("unreachable")

    def _post(self, payload: dict) -> dict:
        self.attempts += 1
        request = urllib.request.Request(
            self.url, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "X-API-Key": self.api_key},
        )
        try:
            with urllib.request.urlopen(  # nosec B310 # the operator's POPULATION_REGISTRY_URL
                    request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 429:
                raise RegistryUnavailable(f"HTTP {exc.code}")
            raise RegistryRejected(f"HTTP {exc.code}")
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RegistryUnavailable(f"{type(reason).__name__}: {reason}")
        try:
            return json.loads(raw)
        except ValueError:
            raise RegistryUnavailable("unreadable answer")

    @staticmethod
    def _parse(body: dict) -> BatchAnswer:
        answers = {}
        for result in body.get("results") or []:
            ref, outcome = str(result.get("ref") or ""), result.get("outcome")
            if not ref or outcome not in OUTCOMES:
                continue  # unanswered: the case stays queued and is sent again
            answers[ref] = RegistryAnswer(
                ref=ref, outcome=outcome,
                registry_values=dict(result.get("registry_values") or {}),
                differing_fields=list(result.get("differing_fields") or []),
            )
        return BatchAnswer(batch_id=str(body.get("batch_id") or ""), answers=answers)
