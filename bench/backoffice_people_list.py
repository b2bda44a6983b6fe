"""Back office people list: the portal's /admin/pegawai over 50,000 people, server time.

Personnel gets 50,000 people (bulk insert into a migrated temporary database) and a JP
ledger; the portal is the real app, signed in as an admin, whose gateway client is wired
to the personnel app in the same process (a requests adapter calling its WSGI app), so
the time measured is the portal's rendering plus personnel's API work, without network.
Each case is requested 20 times after a warm-up; the median and the worst are printed, in
wall time and in this process's CPU time. Both apps run in this one process, so its CPU
time is the server work of the request; on a shared machine the wall time also counts the
time other processes held the cores (with a load of 10 on 2 cores, several times the CPU
time), so compare CPU times across runs and wall times only within one run.
SQLite by default; TEST_DB=postgres runs it on a throwaway PostgreSQL database, as the
tests do. Usage: [TEST_DB=postgres] .venv/bin/python bench/backoffice_people_list.py
[--people N]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / p) for p in ("services/personnel", "services/portal", "shared")]

import requests  # noqa: E402
from cakap_shared.db import new_id  # noqa: E402
from cakap_shared.testing import (  # noqa: E402
    backend,
    mint_token,
    rsa_keypair,
    service_test_config,
    throwaway_database,
    upgrade_database,
)
from personnel_service import create_app as create_personnel  # noqa: E402
from personnel_service.extensions import db  # noqa: E402
from personnel_service.models import JpEntry, Person, Unit  # noqa: E402
from portal_service import create_app as create_portal  # noqa: E402
from requests.adapters import BaseAdapter  # noqa: E402

GATEWAY = "http://personnel.bench"
GRADES = ["II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b"]
KINDS = ["fungsional", "pelaksana", "pengawas", "administrator"]
ROUNDS = 20


class WsgiAdapter(BaseAdapter):
    """requests -> a Flask app's test client, so the portal calls personnel in-process."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.client = app.test_client()

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        url = request.url or ""
        path = url[len(GATEWAY) :]
        answer = self.client.open(
            path, method=request.method, headers=dict(request.headers), data=request.body
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers.update(answer.headers)
        response._content = answer.get_data()
        response.url = url
        response.request = request
        return response

    def close(self) -> None:
        return None


def seed(app: Any, people: int, rng: random.Random) -> None:
    """40 OPD with 3 sub-units each, N people spread over them, JP for two thirds."""
    with app.app_context():
        units = []
        for n in range(1, 41):
            units.append({"code": f"OPD-{n:02d}", "name": f"Dinas {n:02d}", "parent_code": None})
            for sub in range(1, 4):
                units.append(
                    {"code": f"OPD-{n:02d}-{sub}", "name": f"Bidang {n:02d}.{sub}",
                     "parent_code": f"OPD-{n:02d}"}
                )  # fmt: skip
        db.session.execute(db.insert(Unit), units)
        rows, entries = [], []
        year = date.today().year
        for i in range(people):
            person_id = new_id()
            unit = units[i % len(units)]["code"]
            rows.append(
                {"id": person_id, "nip": f"19{i:016d}",
                 "name": f"Pegawai {rng.randrange(10**6):06d} {i}",
                 "unit_code": unit, "position": "Analis", "position_type": rng.choice(KINDS),
                 "grade": rng.choice(GRADES), "employment_type": "PNS", "status": "active"}
            )  # fmt: skip
            if i % 3:
                entries.append(
                    {"id": new_id(), "person_id": person_id, "year": year, "title": "Pelatihan",
                     "jp": rng.choice((4, 8, 12, 24)), "form": "klasikal",
                     "completed_on": date(year, 1, 15)}
                )  # fmt: skip
        for start in range(0, len(rows), 5000):
            db.session.execute(db.insert(Person), rows[start : start + 5000])
        for start in range(0, len(entries), 5000):
            db.session.execute(db.insert(JpEntry), entries[start : start + 5000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load: without statistics the planner
            # takes each filter for a handful of rows and plans as for an empty table.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")


def main() -> int:
    """Seed, sign the portal in, time each case."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=50_000)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    rng = random.Random(11)
    with (
        tempfile.TemporaryDirectory() as tmp,
        throwaway_database("personnel", Path(tmp)) as database_url,
    ):
        personnel = create_personnel(
            service_test_config(
                "personnel", database_url, JWT_PRIVATE_KEY=rsa_keypair()[0], TESTING=False
            )
        )
        upgrade_database(personnel)
        seed(personnel, args.people, rng)
        # Sessions live in Redis (docs/decisions/0006): the bench's under a prefix of its own.
        prefix = f"cakap-bench:{uuid.uuid4().hex}:"
        portal = create_portal(
            {"SECRET_KEY": "bench", "GATEWAY_URL": GATEWAY, "TRUSTED_PROXY_COUNT": 0,
             "PORTAL_SESSION_PREFIX": prefix}
        )  # fmt: skip
        portal.extensions["portal_gateway"].session.mount(GATEWAY, WsgiAdapter(personnel))
        browser = portal.test_client()
        token = mint_token("bench-admin", ["admin"], expires_in=3600)
        from flask import session as signed
        from portal_service.auth import sign_in

        with browser.session_transaction() as session, portal.test_request_context():
            sign_in({"access_token": token, "expires_in": 3600},
                    {"id": "bench-admin", "username": "admin", "name": "Admin",
                     "roles": ["admin"]})  # fmt: skip
            session.update(dict(signed))
        cases = {
            "first page, by name": "/admin/pegawai",
            "page 1000, by name": "/admin/pegawai?page=1000",
            "search by name": "/admin/pegawai?q=pegawai+12",
            "unit with sub-units, by grade": "/admin/pegawai?unit_code=OPD-07&include_subunits=1"
            "&sort=-grade",
            "below JP target": "/admin/pegawai?below_target=1",
            "below JP target, page 300": "/admin/pegawai?below_target=1&page=300",
            "by golongan, page 500": "/admin/pegawai?sort=grade&page=500",
            "golongan + position type": "/admin/pegawai?grade=III/a&position_type=fungsional",
        }
        results = {}
        for name, url in cases.items():
            first = browser.get(url)
            if first.status_code != 200 or b"table" not in first.data:
                raise SystemExit(f"{url}: {first.status_code} {first.data[:500]!r}")
            times, cpu = [], []
            for _ in range(ROUNDS):
                started, started_cpu = time.perf_counter(), time.process_time()
                browser.get(url)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            results[name] = (statistics.median(times), max(times), statistics.median(cpu))
        with personnel.app_context():
            db.engine.dispose()
        redis = portal.extensions["portal_sessions"].client
        for key in redis.scan_iter(f"{prefix}*"):
            redis.delete(key)
    print("| page | median ms | worst ms | median CPU ms |\n|---|---|---|---|")
    for name, (median, worst, cpu_median) in results.items():
        print(f"| {name} | {median:.1f} | {worst:.1f} | {cpu_median:.1f} |")
    print(
        json.dumps(
            {
                "people": args.people,
                "rounds": ROUNDS,
                "median_ms": {k: round(v[0], 1) for k, v in results.items()},
                "worst_ms": {k: round(v[1], 1) for k, v in results.items()},
                "median_cpu_ms": {k: round(v[2], 1) for k, v in results.items()},
                "load_average_1min": round(os.getloadavg()[0], 1),
                "target_ms": 300,
                "database": backend(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
