# Production image: gunicorn serving Django; the same image runs the migration, the Celery worker and
# beat (docker-compose.yml, docs/OPERATIONS.md).
FROM python:3.11-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=vaxrecon.settings.prod
RUN apt-get update && apt-get install -y --no-install-recommends gettext softhsm2 nodejs npm openssl \
    fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt package.json package-lock.json ./
RUN pip install --no-cache-dir -r requirements.txt && npm ci --no-audit --no-fund
COPY . .
RUN SECRET_KEY=build DATABASE_URL=sqlite:////tmp/build.db ALLOWED_HOSTS=build POPULATION_REGISTRY_API_KEY=build \
    python manage.py collectstatic --noinput -v0 && python manage.py compilemessages -v0 --ignore=node_modules
RUN useradd --system --home /app vaxrecon && mkdir -p /app/var/media /app/var/pki/crl && chown -R vaxrecon /app/var
USER vaxrecon
EXPOSE 8000
CMD ["gunicorn", "vaxrecon.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--worker-class", "gthread", "--threads", "4", "--timeout", "120"]
