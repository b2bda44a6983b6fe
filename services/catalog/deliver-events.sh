#!/bin/sh
# The catalog outbox delivery loop: a process of its own beside the web workers.
set -eu
# Relative paths in the environment (VAR_DIR, *_FILE) stay relative to the caller.
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
exec flask --app catalog_service deliver-events
