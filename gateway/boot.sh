#!/bin/sh
# Start the gateway: nothing to migrate; serve under gunicorn.
# Worker: gateway.worker.GatewayWorker = gunicorn gthread that keeps a talking keep-alive
# connection on its thread and sends head+body in one write (see gateway/worker.py). Threads
# keep client keep-alive connections and let a slow service hold a few threads, not the whole
# gateway. Chosen by bench/gateway_vs_direct.py (median of 3 runs, 2 shared CPUs, direct and
# gateway alternating, machine under other engineers' load):
#   stock gthread 2x16:       0.32x direct, +0.639 ms mean / +0.613 ms p50 at 1 connection
#   GatewayWorker 2x8:        0.42x direct, +0.362 ms mean / +0.480 ms p50 at 1 connection
set -eu
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
exec gunicorn --bind "${BIND_HOST:-127.0.0.1}:${GATEWAY_PORT:-8000}" \
    --worker-class gateway.worker.GatewayWorker \
    --workers "${GATEWAY_WORKERS:-2}" --threads "${GATEWAY_THREADS:-8}" \
    --keep-alive "${GATEWAY_KEEPALIVE:-5}" \
    --no-control-socket \
    "gateway:create_app()"
