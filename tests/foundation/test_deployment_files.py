"""docker-compose.yml, the Dockerfile and docs/OPERATIONS.md are checked by reading them (no
Docker engine runs here)."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_postgres_redis_web_and_a_worker_from_the_environment():
    compose = _compose()
    assert set(compose["services"]) == {"db", "redis", "migrate", "web", "worker", "beat"}
    env = compose["services"]["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and env["CELERY_BROKER_URL"].startswith("redis://")
    assert env["DJANGO_SETTINGS_MODULE"] == "vaxrecon.settings.prod"
    assert "?" in env["SECRET_KEY"]  # required, no default secret
    assert compose["services"]["worker"]["command"][:3] == ["celery", "-A", "vaxrecon"]


def test_the_dockerfile_installs_the_pinned_requirements_and_front_end_lockfile():
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.txt" in text and "npm ci" in text


def test_compose_serves_with_gunicorn_and_schedules_with_exactly_one_separate_beat():
    services = _compose()["services"]
    assert services["web"]["command"][0] == "gunicorn"
    worker, beat = services["worker"]["command"], services["beat"]["command"]
    assert worker[:4] == ["celery", "-A", "vaxrecon", "worker"]
    assert "-B" not in worker and "--beat" not in worker
    assert beat[:4] == ["celery", "-A", "vaxrecon", "beat"]
    assert "replicas" not in beat and "deploy" not in services["beat"]  # one scheduler, never scaled
    assert services["db"]["image"].startswith("postgres:") and services["redis"]["image"].startswith("redis:")


def test_compose_migrates_once_before_the_app_services_start():
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert "migrate" not in " ".join(map(str, services["web"]["command"]))
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["db"] == {"condition": "service_healthy"}, name
        assert services[name]["environment"]["DJANGO_SETTINGS_MODULE"] == "vaxrecon.settings.prod"


def test_the_image_builds_its_static_files_with_every_secret_production_requires():
    """Production settings refuse to start without these; the build's collectstatic loads them."""
    prod = (ROOT / "vaxrecon" / "settings" / "prod.py").read_text()
    required = re.search(r"_missing = \[name for name in \(([^)]*)\)", prod)
    names = re.findall(r'"([A-Z_]+)"', required.group(1))
    build = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if "ALLOWED_HOSTS=" in line)
    assert names and all(f"{name}=" in build for name in names)


def test_operations_doc_names_every_environment_variable_the_settings_read():
    read = set()
    for path in (ROOT / "vaxrecon" / "settings").glob("*.py"):
        read |= set(re.findall(r'env(?:\.\w+)?\(\s*f?"([A-Z][A-Z0-9_]*)', path.read_text()))
    doc = (ROOT / "docs" / "OPERATIONS.md").read_text()
    assert len(read) > 50
    # A name built in an f-string (RATE_LIMIT_{bucket}) is read up to its first brace.
    assert sorted(name for name in read if f"`{name}{'' if name.endswith('_') else '`'}" not in doc) == []


def test_operations_doc_covers_backups_scaling_upgrades_and_the_dependency_audit():
    doc = (ROOT / "docs" / "OPERATIONS.md").read_text()
    for heading in ("## Configuration", "## Backups and restore", "## Scaling out", "## Upgrades"):
        assert heading in doc
    assert "pg_dump -Fc" in doc and "pg_restore" in doc
    assert "read replica" in doc and "Citus" in doc and "partition" in doc
    assert "pip-audit -r requirements.txt" in doc


def test_ci_runs_bandit_after_ruff_with_a_pinned_version_and_no_dependency_audit():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("ruff check") < ci.index(".venv/bin/bandit") < ci.index("make test")
    assert "--severity-level medium" in ci
    assert "pip-audit" not in ci.replace("run pip-audit)", "")  # said why in a comment, never run
    assert re.search(r"^bandit==\d+\.\d+\.\d+\s+#", (ROOT / "requirements-dev.txt").read_text(), re.M)


NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)")


def test_every_accepted_bandit_finding_names_its_test_and_says_why():
    """`# nosec B608 # constant SQL`: the test id, then the reason after a second #."""
    bare = []
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {".venv", "node_modules", "tests", "bench"}:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found = NOSEC.search(line)
            if found and not re.match(r"\s+B\d{3}([, ]+B\d{3})*\s+#\s*\w+", found.group("rest")):
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert bare == []
