# The Django/Wagtail backend: gunicorn serving website.wsgi, as a non-root user.
# Build from the repository root: docker build -f infra/docker/backend.Dockerfile .
# Stages: `build` (requirements, translations, static files), `backend` (the production image),
# `test` (the production image plus the test suite and its tools: `manage.py test`, ADR 0020),
# `nginx` (nginx with the static files).

FROM python:3.11.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

WORKDIR /app
COPY . /app
# The test suite and the docs (which some tests read) go into the `test` image only.
# Translations and static files are part of the image; collectstatic needs settings that load,
# not real secrets.
RUN rm -rf /app/tests /app/docs \
 && DEBUG=false SECRET_KEY=image-build-only-not-a-secret ALLOWED_HOSTS=build ENV_FILE=/dev/null \
    STATIC_ROOT=/app/static /opt/venv/bin/python manage.py compile_translations \
 && DEBUG=false SECRET_KEY=image-build-only-not-a-secret ALLOWED_HOSTS=build ENV_FILE=/dev/null \
    STATIC_ROOT=/app/static /opt/venv/bin/python manage.py collectstatic --noinput

FROM python:3.11.11-slim-bookworm AS backend
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=website.settings STATIC_ROOT=/app/static MEDIA_ROOT=/srv/media
RUN groupadd --system --gid 10001 azionelab \
 && useradd --system --uid 10001 --gid azionelab --home-dir /app --shell /usr/sbin/nologin azionelab \
 && mkdir -p /srv/media && chown azionelab:azionelab /srv/media
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
# By number, as `docker run --user` and Kubernetes' runAsNonRoot check it: user azionelab.
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "infra/docker/healthcheck.py"]
CMD ["gunicorn", "-c", "infra/gunicorn.conf.py", "website.wsgi"]

# The production image plus requirements-dev.txt, tests/ and docs/, for
#   docker compose --env-file .env.example -f infra/docker/compose.yml run --rm --build backend python manage.py test
# (BACKEND_TARGET=test in .env.example; ADR 0020). It runs the suite on an SQLite file in the
# /tmp tmpfs, with the test settings, so it needs no configuration and touches no real
# database. Its default command is the suite: deployed by mistake, it serves nothing.
FROM backend AS test
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=tests.settings DATABASE_URL=sqlite:////tmp/azionelab.sqlite3 \
    HYPOTHESIS_STORAGE_DIRECTORY=/tmp/hypothesis PYTEST_ADDOPTS="-p no:cacheprovider"
USER 0:0
COPY requirements.txt requirements-dev.txt /tmp/
RUN pip install -r /tmp/requirements-dev.txt
COPY --chown=root:root tests /app/tests
COPY --chown=root:root docs /app/docs
USER 10001:10001
HEALTHCHECK NONE
CMD ["python", "manage.py", "test"]

# nginx with the collected static files baked in, so they always match the backend's build.
FROM nginxinc/nginx-unprivileged:1.27.3-alpine AS nginx
COPY --from=build /app/static /srv/static
COPY infra/nginx/azionelab.conf.template /etc/nginx/templates/azionelab.conf.template
