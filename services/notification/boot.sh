#!/bin/sh
# Start the notification service: migrate its database, load demo data if asked, then serve.
set -eu
# Relative paths in the environment (VAR_DIR, *_FILE) stay relative to the caller.
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
flask --app notification_service db upgrade
if [ "${DEMO_MODE:-0}" = "1" ]; then flask --app notification_service seed-demo; fi
exec gunicorn --bind "${BIND_HOST:-127.0.0.1}:${NOTIFICATION_PORT:-8005}" \
    --worker-class gthread --workers "${WEB_CONCURRENCY:-2}" --threads "${WEB_THREADS:-4}" \
    --no-control-socket \
    "notification_service:create_app()"
