#!/bin/sh
# Start the gateway: nothing to migrate; serve under gunicorn.
# gthread was measured against sync (bench/gateway_vs_direct.py): threads keep client
# keep-alive connections and let a slow service hold a few threads, not the whole gateway.
set -eu
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
exec gunicorn --bind "${BIND_HOST:-127.0.0.1}:${GATEWAY_PORT:-8000}" \
    --worker-class gthread \
    --workers "${GATEWAY_WORKERS:-2}" --threads "${GATEWAY_THREADS:-16}" \
    --keep-alive "${GATEWAY_KEEPALIVE:-5}" \
    --no-control-socket \
    "gateway:create_app()"
