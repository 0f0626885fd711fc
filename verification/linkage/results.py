"""What the engine decides with and hands back: the decisions, the thresholds (and their
settings), and the candidates and results of a match."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .scoring import ModelParams, pair_reasons, reason_dicts

# Defaults exposed by the Django settings as LINKAGE_LINK_PROBABILITY, LINKAGE_LINK_THRESHOLD,
# LINKAGE_REVIEW_THRESHOLD and LINKAGE_MIN_MARGIN. Scores are log2 posterior odds: 10 is
# about 1000:1 that this citizen is the person.
#
# The link rule: the best candidate's posterior probability, against every citizen scored for
# the record and against "nobody in the registry" (2^s1 / (1 + sum of 2^s)), reaches
# LINK_PROBABILITY, and it beats the runner-up by MIN_MARGIN. The prior inside each score
# already holds the registry's size (1 / N), so the same probability means the same risk at
# 20,000 citizens and at 100 million. LINK_THRESHOLD, a floor on the score itself, is the
# log2 odds of that probability by default (implied by it; an operator may set it higher).
LINK_PROBABILITY = 0.9995
LINK_THRESHOLD = math.log2(LINK_PROBABILITY / (1 - LINK_PROBABILITY))
REVIEW_THRESHOLD = -12.0
MIN_MARGIN = 8.0
MAX_CANDIDATES = 5
# Scores within this many log2 odds of each other are equally strong for the tie report: the
# learnt weights are not sure to a tenth of a bit (an m of a few hundredths learnt from some
# thousands of anchor pairs varies by about 0.1-0.2 bit, and per-province and per-ward
# frequencies move a namesake's score by as much), so a review list cut where the next citizen
# scores within this of the last slot is cut inside a tie, and the tie counts every citizen
# that close. 0.5 bit: odds within a factor of 1.4.
TIE_TOLERANCE = 0.5

LINKED, REVIEW, NONE = "linked", "review", "none"
# Decision codes of a Selection (columns): positions in DECISIONS.
DECISIONS = (NONE, LINKED, REVIEW)
CODE_NONE, CODE_LINKED, CODE_REVIEW = 0, 1, 2


@dataclass(frozen=True)
class LinkageConfig:
    link_threshold: float = LINK_THRESHOLD
    link_probability: float = LINK_PROBABILITY
    review_threshold: float = REVIEW_THRESHOLD
    min_margin: float = MIN_MARGIN
    max_candidates: int = MAX_CANDIDATES
    tie_tolerance: float = TIE_TOLERANCE
    # None: the index's parameters (priors with u sampled from the citizen table).
    params: ModelParams | None = None

    @classmethod
    def from_settings(cls, settings) -> LinkageConfig:
        def setting(name: str, default: float) -> float:
            # An unset environment variable arrives as None: the engine's default applies.
            value = getattr(settings, name, None)
            return default if value is None else float(value)

        return cls(
            link_threshold=setting("LINKAGE_LINK_THRESHOLD", LINK_THRESHOLD),
            link_probability=setting("LINKAGE_LINK_PROBABILITY", LINK_PROBABILITY),
            review_threshold=setting("LINKAGE_REVIEW_THRESHOLD", REVIEW_THRESHOLD),
            min_margin=setting("LINKAGE_MIN_MARGIN", MIN_MARGIN),
        )


class Candidate:
    """A citizen proposed for a record, with its score and per-field reasons.

    ``reasons`` (``(field, level, weight)`` tuples) is built on first use from a compact
    form, so a batch of 200,000 results stays cheap to make and to send between processes.
    """

    __slots__ = ("citizen_id", "score", "_reasons", "_compact")

    def __init__(self, citizen_id, score: float, reasons: list | None = None, *, compact=None):
        self.citizen_id = citizen_id
        self.score = score
        self._reasons = reasons
        self._compact = compact  # (uses CCCD, 6 level codes, 6 weights) when reasons is None

    @property
    def reasons(self) -> list:
        if self._reasons is None:
            if self._compact is None:
                self._reasons = []
            else:
                cccd, levels, weights = self._compact
                self._reasons = pair_reasons(cccd, levels, weights)
        return self._reasons

    @reasons.setter
    def reasons(self, value: list) -> None:
        self._reasons = value

    @property
    def probability(self) -> float:
        return 1.0 / (1.0 + 2.0 ** -self.score) if self.score > -60 else 0.0

    def reason_dicts(self) -> list[dict]:
        """``[{"field": "name", "level": "fuzzy", "weight": 4.1}, ...]`` for the review page."""
        return reason_dicts(self.reasons)

    def __reduce__(self):
        return (_candidate, (self.citizen_id, self.score, self._reasons, self._compact))

    def __eq__(self, other) -> bool:
        return (isinstance(other, Candidate) and self.citizen_id == other.citizen_id
                and self.score == other.score and self.reasons == other.reasons)

    __hash__ = None  # compared by value and mutable (``reasons``): not hashable, as before

    def __repr__(self) -> str:
        return f"Candidate(citizen_id={self.citizen_id!r}, score={self.score:.2f})"


def _candidate(citizen_id, score, reasons, compact):
    return Candidate(citizen_id, score, reasons, compact=compact)


@dataclass
class MatchResult:
    decision: str
    citizen_id: object = None
    score: float | None = None
    candidates: list[Candidate] = field(default_factory=list)
    # Review lists cut inside a run of equal scores: how many citizens share the cut score.
    ties: int = 0

    def __reduce__(self):
        return (MatchResult, (self.decision, self.citizen_id, self.score, self.candidates, self.ties))
