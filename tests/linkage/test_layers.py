"""The linkage package stays layered: each room imports only the rooms below it (the order
its ``__init__`` lists), so no cycle can come back."""

import ast
from pathlib import Path

import verification.linkage

PACKAGE = Path(verification.linkage.__file__).parent
# Bottom first.
ROOMS = ["keys", "loaders", "probes", "scoring", "index", "blocking", "results", "engine", "training",
         "shards"]


def rooms_imported(path: Path) -> set[str]:
    """The package's rooms that the module at ``path`` imports (relative imports only)."""
    parts = path.relative_to(PACKAGE).parts
    here = list(parts[:-1])
    got = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - (node.level - 1)]
            target = base + ([node.module] if node.module else [])
            if target:
                got.add(target[0].split(".")[0])
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for name in names:
                if name and name.startswith("verification.linkage."):
                    got.add(name.split(".")[2])
    return got


def test_every_room_imports_only_the_rooms_below_it():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__init__.py" and path.parent == PACKAGE:
            continue
        room = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        assert room in ROOMS, f"{path.name}: a new room belongs in ROOMS (and the package docstring)"
        below = set(ROOMS[: ROOMS.index(room)])
        wrong += [(str(path.relative_to(PACKAGE)), r) for r in rooms_imported(path) - below - {room}]
    assert wrong == []


def test_only_the_loaders_read_a_database_and_nothing_imports_django():
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "django" not in {n.split(".")[0] for n in _modules(source)}, path
        if path.stem != "loaders":
            assert "psycopg2" not in _modules(source), path
            assert "copy_expert" not in source and ".cursor(" not in source, path


def _modules(source: str) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            out.add(node.module)
    return out
