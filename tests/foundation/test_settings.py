import json
import os
import subprocess
import sys
from pathlib import Path

from celery import current_app

from vaxrecon.celery import app

ROOT = Path(__file__).resolve().parents[2]


def _settings_value(expr: str, module: str = "vaxrecon.settings.dev", **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in (
        "DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "ALLOWED_HOSTS", "POPULATION_REGISTRY_API_KEY")}
    clean.update(env, DJANGO_SETTINGS_MODULE=module)
    code = f"import django; django.setup(); from django.conf import settings as s; print(json.dumps({expr}))"
    # Not checked: the tests read the exit status and stderr of a refused start themselves.
    return subprocess.run([sys.executable, "-c", "import json;" + code], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_default_database_is_a_sqlite_file_and_celery_is_eager():
    result = _settings_value("[s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.TIME_ZONE,"
                             " s.LANGUAGE_CODE]")
    # vaxrecon.sqlite: Django's SQLite backend with a flush around the append-only triggers.
    assert json.loads(result.stdout) == ["vaxrecon.sqlite", True, "Asia/Ho_Chi_Minh", "vi"]


def test_urls_switch_to_postgresql_and_a_real_broker():
    result = _settings_value(
        "[s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_TASK_ALWAYS_EAGER]",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/vaxrecon", CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert json.loads(result.stdout) == ["django.db.backends.postgresql", "vaxrecon", False]


def test_production_refuses_to_start_without_its_secrets():
    result = _settings_value("s.DEBUG", module="vaxrecon.settings.prod")
    assert result.returncode != 0
    assert "SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS, POPULATION_REGISTRY_API_KEY" in result.stderr


def test_production_starts_with_its_secrets():
    result = _settings_value("s.DEBUG", module="vaxrecon.settings.prod", SECRET_KEY="x" * 50,
                             DATABASE_URL="postgres://postgres@127.0.0.1/vaxrecon",
                             ALLOWED_HOSTS="vaxrecon.example", POPULATION_REGISTRY_API_KEY="k" * 32)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) is False


def test_production_names_a_missing_registry_key():
    result = _settings_value("s.DEBUG", module="vaxrecon.settings.prod", SECRET_KEY="x" * 50,
                             DATABASE_URL="postgres://postgres@127.0.0.1/vaxrecon",
                             ALLOWED_HOSTS="vaxrecon.example")
    assert result.returncode != 0
    assert "environment variables: POPULATION_REGISTRY_API_KEY\n" in result.stderr


PROD_SECRETS = {"SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://postgres@127.0.0.1/vaxrecon",
                "ALLOWED_HOSTS": "vaxrecon.example", "POPULATION_REGISTRY_API_KEY": "k" * 32}
CONNECTION = "[s.DATABASES['default']['CONN_MAX_AGE'], s.DATABASES['default']['CONN_HEALTH_CHECKS']]"


def test_production_keeps_database_connections_and_checks_them_before_reuse():
    result = _settings_value(CONNECTION, module="vaxrecon.settings.prod", **PROD_SECRETS)
    assert json.loads(result.stdout) == [60, True]


def test_the_connection_lifetime_comes_from_the_environment():
    prod = _settings_value(CONNECTION, module="vaxrecon.settings.prod", CONN_MAX_AGE="300",
                           CONN_HEALTH_CHECKS="false", **PROD_SECRETS)
    dev = _settings_value(CONNECTION)
    assert json.loads(prod.stdout) == [300, False]
    assert json.loads(dev.stdout) == [0, False]  # development: one connection per request


def test_beat_schedule_names_real_tasks_including_the_purge():
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    names = {entry["task"] for entry in schedule.values()}
    assert "verification.tasks.purge_unconfirmed_reports" in names
    assert names <= set(current_app.tasks.keys()) | set(app.tasks.keys())
