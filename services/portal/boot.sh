#!/bin/sh
# Start the portal: no database, nothing to migrate, just serve.
set -eu
# Relative paths in the environment (VAR_DIR, *_FILE) stay relative to the caller.
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
exec gunicorn --bind "${BIND_HOST:-127.0.0.1}:${PORTAL_PORT:-8080}" \
    --worker-class gthread --workers "${WEB_CONCURRENCY:-2}" --threads "${WEB_THREADS:-4}" \
    --timeout "${GUNICORN_TIMEOUT:-60}" --no-control-socket \
    "portal_service:create_app()"
