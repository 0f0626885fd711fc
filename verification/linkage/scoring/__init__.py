"""Fellegi–Sunter comparison of incoming records against candidate citizens, one module
per field (``name``, ``birth``, ``sex``, ``identity``, ``phone``, ``ward``) and
:class:`BatchScorer` (``batch``) adding them up.

Each field is compared into a *level* (exact, typo, disagree, ...) and each level carries a
log2 likelihood ratio ``log2(m / u)``:

* ``m`` = P(level | the record and the citizen are the same person). Defaults
  (``params.default_m``) are priors for typed-from-paper data;
  :func:`verification.linkage.training.estimate_m` re-estimates them from the batch being
  matched.
* ``u`` = P(level | different people). Taken from the citizen table itself: term
  frequencies for names, birth dates, phones and wards (so "Nguyễn Văn Hùng" weighs less
  than a rare name), one-in-N for identity numbers, and random-pair sampling for the fuzzy
  name levels (``sampling.estimate_u``).

A missing value on either side is no evidence: weight 0 and no reason. A pair's reasons are
``(field, level, weight)`` tuples (:func:`pair_reasons`); :func:`reason_dicts` turns them
into ``{"field": "name", "level": "fuzzy", "weight": 4.1}`` for the review page.
"""

from ..keys import SEX_CODES, birth_to_ints, one_edit_apart
from ..probes import Probe, ProbeBatch, make_probe, probe_values
from .batch import FIELDS, BatchScorer, explain_pair, pair_reasons, reason_dicts
from .birth import CLOSE_DAYS, DOB_LEVELS
from .identity import ID_LEVELS
from .name import FUZZY_LOW, NAME_LEVELS, name_level
from .params import ModelParams, default_m
from .phone import PHONE_LEVELS
from .sex import SEX_LEVELS
from .ward import WARD_LEVELS

__all__ = [
    "CLOSE_DAYS", "DOB_LEVELS", "FIELDS", "FUZZY_LOW", "ID_LEVELS", "NAME_LEVELS", "PHONE_LEVELS",
    "SEX_CODES", "SEX_LEVELS", "WARD_LEVELS", "BatchScorer", "ModelParams", "Probe", "ProbeBatch",
    "birth_to_ints", "default_m", "explain_pair", "make_probe", "name_level", "one_edit_apart",
    "pair_reasons", "probe_values", "reason_dicts",
]
