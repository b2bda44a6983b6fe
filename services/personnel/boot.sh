#!/bin/sh
# Start the personnel service: migrate its database, load demo data if asked, then serve.
set -eu
# Relative paths in the environment (VAR_DIR, *_FILE) stay relative to the caller.
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
# `boot.sh migrate` only migrates (a Kubernetes Job before a rollout); MIGRATE_ON_START=0
# leaves migration to that Job instead of every replica at start.
if [ "${1:-}" = "migrate" ]; then exec flask --app personnel_service db upgrade; fi
if [ "${MIGRATE_ON_START:-1}" = "1" ]; then flask --app personnel_service db upgrade; fi
if [ "${DEMO_MODE:-0}" = "1" ]; then flask --app personnel_service seed-demo; fi
exec gunicorn --bind "${BIND_HOST:-127.0.0.1}:${PERSONNEL_PORT:-8001}" \
    --worker-class gthread --workers "${WEB_CONCURRENCY:-2}" --threads "${WEB_THREADS:-4}" \
    --no-control-socket --config python:cakap_shared.gunicorn_hooks \
    "personnel_service:create_app()"
