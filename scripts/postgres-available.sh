#!/bin/sh
# Exit 0 when the test PostgreSQL server (TEST_POSTGRES_URL or 127.0.0.1:5432) answers.
exec "${PYTHON:-.venv/bin/python}" - <<'PY'
import os, sys
import psycopg
url = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
url = url.replace("postgresql+psycopg://", "postgresql://", 1)
try:
    psycopg.connect(url, connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {url}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
