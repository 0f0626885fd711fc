"""Every change of a case's status goes through verification/services/transitions.py.

The project's code (tests and migrations aside) is read as Python and searched for the ways
a status can be written around the state machine: ``<case>.status = ...``,
``setattr(<case>, "status", ...)``, ``.update(status=...)`` / ``bulk_update([... "status"])``
on cases, and raw SQL updating the cases table. Creating a case in its first state is not a
change and is not looked for.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("accounts", "records", "reports", "signing", "vaxrecon", "verification")
ALLOWED = {Path("verification/services/transitions.py")}
CASE_NAME = re.compile(r"\b(case|cases|locked|ReconciliationCase)\b")
RAW_UPDATE = re.compile(r"UPDATE\s+verification_reconciliationcase\b", re.IGNORECASE)


def _is_status(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value == "status"


def _on_cases(node: ast.AST) -> bool:
    return bool(CASE_NAME.search(ast.unparse(node)))


def _writes(node: ast.AST) -> bool:
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        flat = [e for t in targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])]
        return any(isinstance(t, ast.Attribute) and t.attr == "status" and _on_cases(t.value) for t in flat)
    if not isinstance(node, ast.Call):
        return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(
            RAW_UPDATE.search(node.value)) and "status" in node.value
    func = node.func
    if isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) >= 2:
        return _is_status(node.args[1]) and _on_cases(node.args[0])
    if not isinstance(func, ast.Attribute) or not _on_cases(func.value):
        return False
    if func.attr == "update":
        return any(k.arg == "status" for k in node.keywords)
    if func.attr == "bulk_update":
        fields = node.args[1] if len(node.args) > 1 else next(
            (k.value for k in node.keywords if k.arg == "fields"), None)
        return isinstance(fields, (ast.List, ast.Tuple)) and any(_is_status(e) for e in fields.elts)
    return False


def status_writes(source: str, path: str = "<string>") -> list[str]:
    """``path:line`` of every place in ``source`` that writes a case's status."""
    return [f"{path}:{node.lineno}" for node in ast.walk(ast.parse(source)) if _writes(node)]


def project_modules():
    for room in ROOMS:
        for path in sorted((ROOT / room).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts and relative not in ALLOWED:
                yield relative


def test_no_module_but_the_state_machine_writes_a_case_status():
    found = [hit for path in project_modules()
             for hit in status_writes((ROOT / path).read_text(encoding="utf-8"), str(path))]
    assert found == [], "a case's status is written outside verification/services/transitions.py"


def test_the_search_finds_each_way_of_writing_a_status():
    source = '''
case.status = "signed"
locked.status, locked.closed_at = "closed", now
setattr(case, "status", "signed")
ReconciliationCase.objects.filter(pk=1).update(status="signed")
ReconciliationCase.objects.bulk_update(cases, ["status"])
cursor.execute("UPDATE verification_reconciliationcase SET status = 'signed'")
'''
    assert len(status_writes(source)) == 6


def test_the_search_leaves_other_statuses_alone():
    source = '''
batch.status = "done"
job.status, job.finished_at = "failed", now
InjectionRecord.objects.filter(pk__in=ids).update(status="signed")
ReconciliationCase.objects.filter(status="submitted").update(claimed_by=None)
ReconciliationCase.objects.create(status="submitted")
'''
    assert status_writes(source) == []
