#!/bin/sh
# The portal has no database: nothing to migrate, just serve.
set -e
exec gunicorn \
    --bind "0.0.0.0:${PORT:-8080}" \
    --workers "${WEB_CONCURRENCY:-2}" \
    --timeout "${GUNICORN_TIMEOUT:-60}" \
    --no-control-socket \
    "portal_service:create_app()"
