#!/bin/sh
# The notification delivery process beside the web workers: sends queued e-mails
# (with retries, quiet hours) and the daily digests. Events reach this service through
# the producers' outboxes; this one publishes none.
set -eu
# Relative paths in the environment (VAR_DIR, *_FILE) stay relative to the caller.
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
exec flask --app notification_service deliver-notifications
