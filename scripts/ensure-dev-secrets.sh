#!/bin/sh
# Development secrets under var/keys (never committed): the service-to-service secret.
# Personnel writes its own signing key there on first start.
set -eu
dir="${VAR_DIR:-var}/keys"
mkdir -p "$dir"
chmod 700 "$dir"
if [ ! -s "$dir/service-secret" ]; then
    umask 077
    python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "$dir/service-secret"
fi
