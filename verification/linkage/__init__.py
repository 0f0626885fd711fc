"""Record linkage: match messy incoming injection records to citizens.

No Django import; the management commands and pages feed it rows, or a PostgreSQL
connection for :mod:`.loaders` to read with COPY. The rooms, each importing only those
listed before it:

* ``keys`` – name keys, digit keys, birth-date ints and ordinals, one-edit keys;
* ``loaders`` – citizens in: row tuples, the registry CSV, PostgreSQL;
* ``probes`` – the incoming records, normalised, one at a time and as a batch;
* ``scoring/`` – one scorer per field and their sum (Fellegi–Sunter), the model parameters;
* ``index`` – the citizens as numpy columns with sorted blocking keys and frequencies;
* ``blocking`` – which (record, citizen) pairs to score: exact, broad and scan passes;
* ``results`` – decisions, thresholds, candidates and results;
* ``engine`` – the decision: the passes in tiers, each pair scored once, then linked /
  review / none;
* ``training`` – m-probabilities re-estimated from the batch being matched;
* ``shards`` – one decision from several indexes (the registry split by province): what each
  shard found for a record, merged by the engine's rule.

    index = CitizenIndex.from_rows(rows)          # see loaders.py for the tuple layout
    engine = Engine(index, LinkageConfig())
    result = engine.match({"full_name": ..., "date_of_birth": ..., "sex": ...,
                           "id_number": ..., "phone": ..., "province_code": ...,
                           "ward_code": ...})
    result.decision, result.citizen_id, result.score, result.candidates
"""

from .engine import Candidate, Engine, LinkageConfig, MatchResult
from .index import CitizenIndex, RegistryCounts
from .loaders import CITIZEN_ROW_FIELDS, iter_registry_csv
from .probes import make_probe
from .results import LINK_THRESHOLD, LINKED, MAX_CANDIDATES, MIN_MARGIN, NONE, REVIEW, REVIEW_THRESHOLD
from .scoring import ModelParams

__all__ = [
    "CITIZEN_ROW_FIELDS", "LINK_THRESHOLD", "LINKED", "MAX_CANDIDATES", "MIN_MARGIN", "NONE",
    "REVIEW", "REVIEW_THRESHOLD", "Candidate", "CitizenIndex", "Engine", "LinkageConfig",
    "MatchResult", "ModelParams", "RegistryCounts", "iter_registry_csv", "make_probe",
]
