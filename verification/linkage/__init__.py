"""Record linkage: match messy incoming injection records to citizens.

Pure Python (no Django import); the management commands and pages feed it rows.

    index = CitizenIndex.from_rows(rows)          # see index.py for the tuple layout
    engine = Engine(index, LinkageConfig())
    result = engine.match({"full_name": ..., "date_of_birth": ..., "sex": ...,
                           "id_number": ..., "phone": ..., "province_code": ...,
                           "ward_code": ...})
    result.decision, result.citizen_id, result.score, result.candidates
"""

from .engine import (
    LINK_THRESHOLD,
    LINKED,
    MAX_CANDIDATES,
    MIN_MARGIN,
    NONE,
    REVIEW,
    REVIEW_THRESHOLD,
    Candidate,
    Engine,
    LinkageConfig,
    MatchResult,
)
from .index import CITIZEN_ROW_FIELDS, CitizenIndex, iter_registry_csv
from .scoring import ModelParams, make_probe

__all__ = [
    "CITIZEN_ROW_FIELDS", "LINK_THRESHOLD", "LINKED", "MAX_CANDIDATES", "MIN_MARGIN", "NONE",
    "REVIEW", "REVIEW_THRESHOLD", "Candidate", "CitizenIndex", "Engine", "LinkageConfig",
    "MatchResult", "ModelParams", "iter_registry_csv", "make_probe",
]
