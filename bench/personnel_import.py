"""Personnel bulk import: 50,000 valid rows through POST /api/v1/people/import.

Builds a temporary SQLite database with the service's migrations, creates the units,
writes a CSV of N people (valid NIPs, a supervisor tree in shuffled row order so
supervisors resolve within the file), uploads it with the Flask test client as an
admin, then uploads it again (nothing may change). Prints one JSON line.
Usage: .venv/bin/python bench/personnel_import.py [--rows N]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "services" / "personnel"), str(ROOT / "shared")]

from cakap_shared.testing import (  # noqa: E402
    bearer,
    mint_token,
    rsa_keypair,
    service_test_config,
    upgrade_database,
)
from personnel_service import create_app  # noqa: E402
from personnel_service.domain.nip import make_nip  # noqa: E402
from personnel_service.extensions import db  # noqa: E402
from personnel_service.models import Unit  # noqa: E402

UNITS = [f"OPD-{n:02d}" for n in range(1, 41)]
GRADES = ["II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b"]


def people_csv(rows: int, rng: random.Random) -> bytes:
    """N valid rows; each person after the first 40 reports to an earlier one, rows shuffled."""
    nips: list[str] = []
    seen: set[str] = set()
    while len(nips) < rows:
        birth = date(rng.randint(1965, 1999), rng.randint(1, 12), rng.randint(1, 28))
        appointment = (min(birth.year + rng.randint(20, 30), 2024), rng.randint(1, 12))
        nip = make_nip(birth, appointment, rng.choice("MF"), rng.randint(1, 999))
        if nip not in seen:
            seen.add(nip)
            nips.append(nip)
    lines = ["nip,name,unit_code,position,grade,supervisor_nip"]
    body = []
    for index, nip in enumerate(nips):
        boss = "" if index < len(UNITS) else nips[rng.randrange(max(index // 4, 1))]
        unit = UNITS[index % len(UNITS)]
        body.append(
            f"{nip},Pegawai {index} S.Kom.,{unit},Analis Ahli Pertama,{rng.choice(GRADES)},{boss}"
        )
    rng.shuffle(body)
    return ("\n".join(lines + body) + "\n").encode()


def main() -> int:
    """Import twice and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    rng = random.Random(7)
    data = people_csv(args.rows, rng)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            service_test_config(
                "personnel",
                f"sqlite:///{Path(tmp) / 'personnel.db'}",
                JWT_PRIVATE_KEY=rsa_keypair()[0],
                TESTING=False,
            )
        )
        upgrade_database(app)
        with app.app_context():
            db.session.add_all(Unit(code=code, name=f"Dinas {code}") for code in UNITS)
            db.session.commit()
        client = app.test_client()
        headers = bearer(mint_token("bench-admin", ["admin"], expires_in=3600))

        def upload() -> tuple[dict, float]:
            started = time.perf_counter()
            response = client.post(
                "/api/v1/people/import",
                headers=headers,
                data={"file": (io.BytesIO(data), "people.csv")},
                content_type="multipart/form-data",
            )
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"import failed: {response.status_code} {response.get_data()!r}")
            return response.get_json(), elapsed

        first, first_seconds = upload()
        second, second_seconds = upload()
        with app.app_context():
            db.engine.dispose()
    assert first["created"] == args.rows and not first["errors"], first["errors"][:5]
    assert second["created"] == 0 and second["updated"] == 0, second
    print("| run | rows | seconds | rows/s |\n|---|---|---|---|")
    print(f"| first import (all new) | {args.rows} | {first_seconds:.2f} | "
          f"{args.rows / first_seconds:,.0f} |")  # fmt: skip
    print(f"| same file again (no change) | {args.rows} | {second_seconds:.2f} | "
          f"{args.rows / second_seconds:,.0f} |")  # fmt: skip
    print(
        json.dumps(
            {
                "rows": args.rows,
                "bytes": len(data),
                "seconds": round(first_seconds, 3),
                "rows_per_second": round(args.rows / first_seconds),
                "reimport_seconds": round(second_seconds, 3),
                "reimport_rows_per_second": round(args.rows / second_seconds),
                "database": "sqlite",
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
