"""docker-compose.yml is checked by parsing it (no Docker engine runs here)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_postgres_redis_web_and_a_worker_from_the_environment():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {"db", "redis", "web", "worker"}
    env = compose["services"]["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and env["CELERY_BROKER_URL"].startswith("redis://")
    assert env["DJANGO_SETTINGS_MODULE"] == "vaxrecon.settings.prod"
    assert "?" in env["SECRET_KEY"]  # required, no default secret
    assert compose["services"]["worker"]["command"][:3] == ["celery", "-A", "vaxrecon"]


def test_the_dockerfile_installs_the_pinned_requirements_and_front_end_lockfile():
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.txt" in text and "npm ci" in text
