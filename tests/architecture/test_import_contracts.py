"""Who may import whom: the project's import contracts, read from the source with `ast`.

The graph: one node per project module (the apps and `vaxrecon`; tests, bench, migrations and
manage.py left out). `import a.b` and `from a.b import c` are edges to the deepest project module
they name (`a.b.c` when that is a module, else `a.b`), wherever they stand: at module level, in a
function or under `if TYPE_CHECKING` all count, since an import inside a function is the usual way to
hide a cycle. A module's own packages (`a` for `a.b.c`) are not edges: Python runs them first anyway.
`from a import b` with `a.b` a module is also an edge to the package `a` (its `__init__` runs): the
cycle check counts it, as `house_check` does; the contracts below judge the module named, `a.b`.

The contracts:

1. No cycle between project modules.
2. The foundation -- `vaxrecon.errors` (the one error family), `vaxrecon.access` (the scope rules),
   `vaxrecon.cache` (the shared cache that survives Redis down) and `vaxrecon.middleware` (the
   request id) -- imports no room but `accounts.models` (a user's scope
   is read from their profile). The rest of `vaxrecon` (settings, URLs, views, Celery, `seed_demo`) is
   the top floor and may import every room.
3. `records` is the ground floor: it imports only itself and the foundation. A room above it reacts to
   what a record did (e.g. signing reads a superseded record's status); records never calls up.
4. `signing` reaches `verification` only through `verification.services` (and its modules),
   `verification.selectors`, `verification.models` and `verification.workflow`: the state machine and
   the reads, never the views, tasks, imports, police or linkage sub-rooms.
5. `api` (the REST API) is on the top floor: no other room imports it (`vaxrecon.urls` includes its
   URLs by name); it reaches the rooms through their services and selectors like the pages do.
6. `certificates` (EU DCC certificates) stands above `signing`: no room below it imports it
   (records, accounts, verification, signing, reports); of `verification` it uses only the SMS
   sender (`verification.sms`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEFT_OUT = {"tests", "bench", "migrations", "node_modules", "static", "templates", "locale", "var", "docs"}

FOUNDATION = ("vaxrecon.errors", "vaxrecon.access", "vaxrecon.cache", "vaxrecon.middleware")
FOUNDATION_MAY_IMPORT = ("accounts.models",)
SIGNING_MAY_IMPORT_OF_VERIFICATION = ("verification.services", "verification.selectors",
                                      "verification.models", "verification.workflow")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    where: str  # path:line of the import statement
    package_only: bool = False  # the package of a module named in the same `from ... import`

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({self.where})"


def project_modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under the project's top-level packages."""
    modules: dict[str, Path] = {}
    packages = sorted(p for p in root.iterdir() if (p / "__init__.py").is_file() and p.name not in LEFT_OUT)
    for package in packages:
        for path in sorted(package.rglob("*.py")):
            relative = path.relative_to(root).parts
            if LEFT_OUT.intersection(relative) or any(part.startswith(".") for part in relative):
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _imported_names(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """What a statement names: `a.b` for `import a.b`; `a` and each `a.x` for `from a import x`."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = package[:len(package) - node.level + 1]
        base = ".".join(anchor + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def _deepest_module(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_edges(root: Path) -> Iterator[Edge]:
    modules = project_modules(root)
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets = [_deepest_module(name, modules)
                       for name in _imported_names(node, module, path.name == "__init__.py")]
            for target in dict.fromkeys(t for t in targets if t):
                if target != module and not module.startswith(target + "."):
                    named_within = any(t and t.startswith(target + ".") for t in targets)
                    yield Edge(module, target, f"{path.relative_to(root)}:{node.lineno}",
                               package_only=named_within)


def graph(root: Path) -> dict[str, dict[str, Edge]]:
    """module -> {imported module: the first import statement that makes the edge}."""
    result: dict[str, dict[str, Edge]] = {module: {} for module in project_modules(root)}
    for edge in import_edges(root):
        first = result[edge.source].setdefault(edge.target, edge)
        if first.package_only and not edge.package_only:  # a plain import of it elsewhere in the module
            result[edge.source][edge.target] = edge
    return result


def cycles(edges: dict[str, dict[str, Edge]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif target not in index:
                index[target] = low[target] = len(index)
                stack.append(target)
                on_stack.add(target)
                work.append((target, iter(sorted(edges[target]))))
            elif target in on_stack:
                low[node] = min(low[node], index[target])
    return found


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def _room(module: str) -> str:
    return module.split(".", maxsplit=1)[0]


def _breaking(edges, *, sources: tuple[str, ...], allowed) -> list[str]:
    return sorted(str(edge) for module, targets in edges.items() if _within(module, sources)
                  for target, edge in targets.items() if not edge.package_only and not allowed(target))


def _cycle_report(edges, component: list[str]) -> str:
    members = set(component)
    inside = sorted(str(edge) for module in component for target, edge in edges[module].items()
                    if target in members)
    return f"cycle of {len(component)} modules:\n    " + "\n    ".join(inside)


# --- The contracts --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def edges() -> dict[str, dict[str, Edge]]:
    return graph(ROOT)


def test_no_import_cycle_between_project_modules(edges):
    found = cycles(edges)
    assert not found, "\n".join(_cycle_report(edges, component) for component in found)


def test_the_foundation_imports_no_room_but_accounts_models(edges):
    breaking = _breaking(edges, sources=FOUNDATION,
                         allowed=lambda target: _within(target, FOUNDATION + FOUNDATION_MAY_IMPORT))
    assert not breaking, "\n".join(breaking)


def test_records_imports_only_itself_and_the_foundation(edges):
    breaking = _breaking(edges, sources=("records",),
                         allowed=lambda target: _room(target) == "records" or _within(target, FOUNDATION))
    assert not breaking, "\n".join(breaking)


def test_signing_reaches_verification_only_through_services_selectors_models_and_workflow(edges):
    breaking = _breaking(edges, sources=("signing",),
                         allowed=lambda target: _room(target) != "verification"
                         or _within(target, SIGNING_MAY_IMPORT_OF_VERIFICATION))
    assert not breaking, "\n".join(breaking)


def test_no_room_imports_the_api(edges):
    breaking = _breaking(edges, sources=tuple(m for m in edges if _room(m) != "api"),
                         allowed=lambda target: _room(target) != "api")
    assert not breaking, "\n".join(breaking)


# The SMS sender; and for the citizen's own certificate the rooms' one-time codes and rate-limited
# pages are reused, not written again: the code services and their model (a purpose of its own), the
# code form, the case look-up and the status page's unlock; the bulk issue is queued through the
# task outbox.
CERTIFICATES_MAY_IMPORT_OF_VERIFICATION = ("verification.sms", "verification.services.otp",
                                           "verification.services.outbox", "verification.models",
                                           "verification.forms", "verification.selectors",
                                           "verification.views.public")
BELOW_CERTIFICATES = ("records", "accounts", "verification", "signing", "reports")


def test_no_room_below_imports_the_certificates(edges):
    breaking = _breaking(edges, sources=BELOW_CERTIFICATES,
                         allowed=lambda target: _room(target) != "certificates")
    assert not breaking, "\n".join(breaking)


def test_certificates_reach_verification_only_through_sms_codes_outbox_and_the_status_unlock(edges):
    breaking = _breaking(edges, sources=("certificates",),
                         allowed=lambda target: _room(target) != "verification"
                         or _within(target, CERTIFICATES_MAY_IMPORT_OF_VERIFICATION))
    assert not breaking, "\n".join(breaking)


# --- The reader itself ----------------------------------------------------------------------------

def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_an_import_inside_a_function_still_makes_a_cycle(tmp_path):
    root = _tree(tmp_path, {"a/__init__.py": "", "a/one.py": "from a.two import x\n",
                            "a/two.py": "def x():\n    from a import one\n    return one\n",
                            "tests/__init__.py": "", "tests/test_a.py": "import a.one\n"})
    assert cycles(graph(root)) == [["a.one", "a.two"]]


def test_relative_imports_and_packages_are_read(tmp_path):
    root = _tree(tmp_path, {"a/__init__.py": "from .b import c\n", "a/b/__init__.py": "",
                            "a/b/c.py": "from .. import d\nfrom ..d import helper\n",
                            "a/d.py": "helper = 1\n",
                            "a/migrations/__init__.py": "", "a/migrations/0001_x.py": "import a.d\n"})
    edges = graph(root)
    assert set(edges["a"]) == {"a.b", "a.b.c"} and edges["a"]["a.b"].package_only
    assert set(edges["a.b.c"]) == {"a.d"}  # its own packages (a, a.b) are no edge
    assert "a.migrations.0001_x" not in edges
    assert cycles(edges) == []
