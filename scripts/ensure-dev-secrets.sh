#!/bin/sh
# Development secrets under var/keys (never committed): the service-to-service secret and
# the forwarder secret the portal and the gateway share (cakap_shared.forwarding).
# Personnel writes its own signing key there on first start.
set -eu
dir="${VAR_DIR:-var}/keys"
mkdir -p "$dir"
chmod 700 "$dir"
umask 077
for name in service-secret forwarder-secret; do
    if [ ! -s "$dir/$name" ]; then
        python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "$dir/$name"
    fi
done
