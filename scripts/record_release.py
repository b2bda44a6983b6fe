"""Record the release just deployed in deploy/released-migrations.json (docs/decisions/0009).

    .venv/bin/python scripts/record_release.py <commit>

Writes the commit and each service's Alembic head at that commit. From then on
tests/platform/test_migrations_compatible.py checks every newer migration against those
heads, and tests/platform/test_previous_release.py runs that commit's code against the
newest schema. Run it once the release is out everywhere, then commit the file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "deploy" / "released-migrations.json"


def heads_at(commit: str) -> dict[str, str | None]:
    """Each service's Alembic head in `commit` (None for a service with no history yet)."""
    services = sorted(p.parent.name for p in ROOT.glob("services/*/migrations"))
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit, "services"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        heads: dict[str, str | None] = {}
        for service in services:
            location = Path(tmp) / "services" / service / "migrations"
            config = Config()
            config.set_main_option("script_location", str(location))
            heads[service] = (
                ScriptDirectory.from_config(config).get_current_head()
                if location.is_dir()
                else None
            )
        return heads


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{argv[0]}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    record = {"release": commit, "heads": heads_at(commit)}
    RECORD.write_text(json.dumps(record, indent=2) + "\n")
    print(f"{RECORD.relative_to(ROOT)}: release {commit}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
