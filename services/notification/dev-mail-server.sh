#!/bin/sh
# Development only: a local SMTP server that writes every message to VAR_DIR/mail/*.eml.
# Run as a file, not `-m notification_service.devmail`: the package would import the whole
# Flask app (some 30 MB) into a process that only needs aiosmtpd.
set -eu
exec python "$(cd "$(dirname "$0")" && pwd)/notification_service/devmail.py" \
    --host "${SMTP_HOST:-127.0.0.1}" --port "${SMTP_PORT:-8025}" --dir "${VAR_DIR:-var}/mail"
