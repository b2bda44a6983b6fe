#!/bin/sh
# Start the gateway: nothing to migrate; serve under gunicorn.
# Worker: gateway.worker.GatewayWorker = gunicorn gthread that keeps a talking keep-alive
# connection on its thread and sends head+body in one write (see gateway/worker.py). Threads
# keep client keep-alive connections and let a slow service hold a few threads, not the whole
# gateway. Chosen by bench/gateway_vs_direct.py (32 connections, 2 CPUs shared with other
# engineers' load; direct and gateway alternating; medians of 3 runs):
#   stock gthread 2x16:  0.32x direct, added at 1 connection +0.639 ms mean / +0.613 ms p50
#   GatewayWorker 2x8:   0.37x direct, +0.365 ms mean / +0.367 ms p50
#   GatewayWorker 2x16:  0.41x direct, +0.344 ms mean / +0.368 ms p50  <- chosen
# The worker also reads request heads on its poller, not in a thread, so slow clients cost
# sockets, not threads (GATEWAY_HEAD_TIMEOUT, GATEWAY_MAX_CONNECTIONS_PER_ADDRESS,
# GATEWAY_CLIENT_IO_TIMEOUT; see gateway/worker.py). Production adds nginx in front.
set -eu
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
exec gunicorn --bind "${BIND_HOST:-127.0.0.1}:${GATEWAY_PORT:-8000}" \
    --worker-class gateway.worker.GatewayWorker \
    --workers "${GATEWAY_WORKERS:-2}" --threads "${GATEWAY_THREADS:-16}" \
    --keep-alive "${GATEWAY_KEEPALIVE:-5}" \
    --no-control-socket \
    "gateway:create_app()"
