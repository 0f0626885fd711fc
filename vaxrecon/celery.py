import logging
import os

from celery import Celery
from celery.signals import worker_ready
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxrecon.settings.dev")

app = Celery("vaxrecon")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery finds `<app>.tasks` of the installed apps; these rooms inside an app have their own.
TASK_PACKAGES = ("verification.imports", "verification.police")
app.autodiscover_tasks(lambda: [*(config.name for config in apps.get_app_configs()), *TASK_PACKAGES])

# Run here when a worker starts, before it takes work: the jobs a lost worker left running are
# reaped (those whose lease expired), then what the outbox kept while Redis was down goes out.
ON_WORKER_START = ("verification.imports.tasks.reap_stale_imports", "signing.tasks.reap_stale_batches",
                   "verification.tasks.relay_outbox")


@worker_ready.connect
def _on_worker_start(**_kwargs) -> None:
    for name in ON_WORKER_START:  # apply() keeps a failure in its result: it never stops the start
        result = app.tasks[name].apply()
        if result.failed():
            logging.getLogger(__name__).error("%s at worker start failed:\n%s", name, result.traceback)
