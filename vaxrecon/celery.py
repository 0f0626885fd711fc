import os

from celery import Celery
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxrecon.settings.dev")

app = Celery("vaxrecon")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery finds `<app>.tasks` of the installed apps; these rooms inside an app have their own.
TASK_PACKAGES = ("verification.imports", "verification.police")
app.autodiscover_tasks(lambda: [*(config.name for config in apps.get_app_configs()), *TASK_PACKAGES])
