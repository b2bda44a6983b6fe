#!/bin/sh
# Development only: a local SMTP server that writes every message to VAR_DIR/mail/*.eml.
set -eu
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
exec python -m notification_service.devmail --host "${SMTP_HOST:-127.0.0.1}" \
    --port "${SMTP_PORT:-8025}" --dir "${VAR_DIR:-var}/mail"
