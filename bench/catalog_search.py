"""Catalog search at scale: 100,000 courses in a temporary database, p50/p95 latency.

Seeds through the service's own migrations (so the FTS5 triggers index every row), then
times GET /api/v1/courses through the Flask app for a few queries with filters, in wall
time and in this process's CPU time: on a shared machine the wall time also counts the time
other processes held the cores, so compare CPU times across runs (the load average is
printed beside them) and wall times only between runs taken back to back.
SQLite by default; TEST_DB=postgres runs it on a throwaway PostgreSQL database (the tsvector
column and its GIN index), as the tests do. Prints one JSON line.
Usage: [TEST_DB=postgres] .venv/bin/python bench/catalog_search.py [--courses N] [--runs N]
[--db FILE (SQLite: keep the seeded database there and reuse it next time)]
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "services" / "catalog"), str(ROOT / "shared")]

from cakap_shared.testing import (  # noqa: E402
    backend,
    bearer,
    mint_token,
    service_test_config,
    throwaway_database,
    upgrade_database,
)
from catalog_service import create_app  # noqa: E402
from catalog_service.extensions import db  # noqa: E402

TOPICS = [
    "Keamanan Informasi", "Manajemen Proyek", "Pelayanan Publik", "Analisis Data",
    "Kepemimpinan", "Komunikasi Efektif", "Perencanaan Pembangunan", "Pengadaan Barang",
    "Tata Kelola SPBE", "Kesehatan Masyarakat", "Keuangan Daerah", "Arsip Digital",
    "Penulisan Naskah Dinas", "Etika ASN", "Manajemen Risiko", "Statistik Sektoral",
    "Pengelolaan Aset", "Inovasi Pelayanan", "Audit Internal", "Kebijakan Publik",
]  # fmt: skip
LEVELS = ["Dasar", "Lanjutan", "Mahir", "untuk Pimpinan", "bagi Pelaksana", "Terapan"]
WORDS = [
    "peserta", "memahami", "menerapkan", "prinsip", "praktik", "kasus", "studi", "evaluasi",
    "regulasi", "daerah", "kota", "palembang", "aplikasi", "sistem", "layanan", "masyarakat",
    "kinerja", "strategi", "integritas", "kolaborasi", "digital", "dokumen", "anggaran",
    "rencana", "laporan", "indikator", "mutu", "standar", "prosedur", "teknis",
]  # fmt: skip
FORMS = ["klasikal", "e_learning", "blended", "coaching", "mentoring", "magang", "seminar"]
COMPETENCIES = ["M-INT", "M-KS", "M-KOM", "M-OPH", "M-PP", "M-PDO", "M-MP", "M-PK", "SK-PB"]
QUERIES = {
    "text": "q=keamanan informasi",
    "text_form": "q=manajemen&form=klasikal",
    "text_competency_jp": "q=pelayanan&competency=M-PP&jp_min=8&jp_max=40",
    "competency_open_class": "competency=M-KOM&has_open_class=true",
    "text_open_class_sort_jp": "q=data&has_open_class=true&sort=jp",
    "rare_prefix": "q=arsi&sort=relevance",
    "browse_page_50": "page=50&per_page=20",
}


def seed(app, n: int) -> float:
    """Bulk-insert n published courses (+ competency links, a class for 1 in 20)."""
    rng = random.Random(42)
    now = datetime.now(UTC).isoformat(sep=" ")
    today = date.today()
    started = time.perf_counter()
    with app.app_context():
        raw = db.engine.raw_connection()
        mark = "?" if db.engine.dialect.name == "sqlite" else "%s"
        try:
            cur = raw.cursor()
            cur.executemany(
                "INSERT INTO competencies (id, code, name, type, description, indicators,"
                " created_at) VALUES (?, ?, ?, 'manajerial', '', '{}', ?)".replace("?", mark),
                [(str(uuid.uuid4()), c, c, now) for c in COMPETENCIES],
            )
            courses, links, classes = [], [], []
            for i in range(n):
                cid = str(uuid.uuid4())
                title = f"{rng.choice(TOPICS)} {rng.choice(LEVELS)} {i}"
                description = " ".join(rng.choices(WORDS, k=25))
                courses.append(
                    (cid, f"C-{i:06d}", title, description, rng.choice(FORMS),
                     rng.randint(2, 60), now, now)
                )  # fmt: skip
                for code in rng.sample(COMPETENCIES, rng.randint(1, 2)):
                    links.append((cid, code, rng.randint(1, 5)))
                if i % 20 == 0:
                    opens = today - timedelta(days=rng.randint(-20, 20))
                    day = lambda n, o=opens: (o + timedelta(days=n)).isoformat()  # noqa: E731
                    classes.append(
                        (str(uuid.uuid4()), cid, "Angkatan I", day(30), day(32), 30,
                         opens.isoformat(), day(14), now)
                    )  # fmt: skip
            cur.executemany(
                "INSERT INTO courses (id, code, title, description, form, jp, cost_per_participant,"
                " prerequisites, status, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 0, '[]', 'published', ?, ?)".replace("?", mark),
                courses,
            )
            cur.executemany(
                "INSERT INTO course_competencies (course_id, competency_code, level, position)"
                " VALUES (?, ?, ?, 0)".replace("?", mark),
                links,
            )
            cur.executemany(
                "INSERT INTO classes (id, course_id, name, starts_on, ends_on, online, capacity,"
                " seats_taken, enrolment_opens_on, enrolment_closes_on, trainer_ids, created_at)"
                " VALUES (?, ?, ?, ?, ?, false, ?, 0, ?, ?, '[]', ?)".replace("?", mark),
                classes,
            )
            raw.commit()
            cur.execute("ANALYZE")  # PostgreSQL: what autovacuum would soon do after the load
            raw.commit()
        finally:
            raw.close()
    return time.perf_counter() - started


def measure(app, runs: int) -> dict[str, dict[str, float]]:
    """p50/p95 per query, after one warm-up call."""
    client = app.test_client()
    headers = bearer(mint_token(str(uuid.uuid4()), ["asn"], name="Bench", unit_code="X"))
    results = {}
    for name, query in QUERIES.items():
        first = client.get(f"/api/v1/courses?{query}", headers=headers)
        assert first.status_code == 200, first.get_json()
        times, cpu = [], []
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            client.get(f"/api/v1/courses?{query}", headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        times.sort()
        cpu.sort()
        results[name] = {
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
            "cpu_p50_ms": round(statistics.median(cpu), 2),
            "cpu_p95_ms": round(cpu[max(0, int(len(cpu) * 0.95) - 1)], 2),
            "total": first.get_json()["total"],
        }
    return results


def main() -> None:
    """Seed, measure, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--courses", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--db", help="keep the seeded database here and reuse it next time")
    args = parser.parse_args()
    logging.disable(logging.INFO)  # no access log lines in the output
    with tempfile.TemporaryDirectory() as tmp, throwaway_database("catalog", Path(tmp)) as url:
        if args.db and backend() == "sqlite":
            url = f"sqlite:///{args.db}"
        fresh = not (args.db and Path(args.db).exists()) or backend() != "sqlite"
        app = create_app(service_test_config("catalog", url, TESTING=False))
        upgrade_database(app)
        seconds = seed(app, args.courses) if fresh else 0.0
        queries = measure(app, args.runs)
        with app.app_context():
            db.engine.dispose()
    worst = max(q["p95_ms"] for q in queries.values())
    print(
        json.dumps(
            {
                "bench": "catalog_search",
                "database": "sqlite-fts5" if backend() == "sqlite" else "postgresql-tsvector",
                "courses": args.courses,
                "seed_seconds": round(seconds, 1),
                "runs": args.runs,
                "queries": queries,
                "worst_p95_ms": worst,
                "worst_cpu_p95_ms": max(q["cpu_p95_ms"] for q in queries.values()),
                "load_average_1min": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
