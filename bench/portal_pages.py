#!/usr/bin/env python3
"""Portal pages under 20 concurrent browsing users: server time of each page.

The whole Procfile runs as `make run` starts it (gunicorn as .env.example sets it, SQLite,
demo data). 20 users sign in through the portal's own form (`/masuk`, with its CSRF token),
each as one of the demo ASN and supervisor accounts, each with a browser session of their
own; then, for --seconds, each user walks the learner's pages (beranda, katalog,
pengembangan, pendaftaran, sertifikat, pemberitahuan) one after the other, pausing a short
think time (0.2 to 1 s, seeded) between pages, as people click. Only the HTML is fetched (no
static files).

The time of a page is from sending the request to the last byte of the answer, on
loopback: the portal's work and that of every service it calls. Per page and for all, p50
and p95; pages that did not answer 200 are counted apart.
Usage: .venv/bin/python bench/portal_pages.py [--users N] [--seconds N] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import sys
import threading
import time
from typing import Any

import requests
from benchlib import DEMO_PASSWORD, emit, load_average, percentile, suite

TARGET_P95_MS = 150
LOGINS = ["pegawai", "atasan", "198203142008031001", "199507212019022002"]
PAGES = {
    "beranda": "/",
    "katalog": "/katalog",
    "pengembangan": "/pengembangan",
    "pendaftaran": "/pendaftaran",
    "sertifikat": "/sertifikat",
    "pemberitahuan": "/pemberitahuan",
}


def signed_in(base: str, login: str) -> requests.Session:
    """A browser session signed in through /masuk."""
    browser = requests.Session()
    form = browser.get(f"{base}/masuk", timeout=60)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    assert csrf, "no CSRF token on /masuk"
    answer = browser.post(
        f"{base}/masuk",
        data={"username": login, "password": DEMO_PASSWORD, "csrf_token": csrf.group(1)},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code != 303:
        raise SystemExit(f"sign-in of {login} through /masuk: {answer.status_code}")
    return browser


def _said(page: str) -> str:
    """A failed page's title and main text, shortened: enough to tell one failure from another."""
    text = re.sub(r"<[^>]+>", " ", page.split("<main", 1)[-1])
    return " ".join(text.split())[:300]


def _log(stack: Any, name: str) -> list[dict[str, Any]]:
    """The JSON lines of a process's log."""
    lines = []
    for line in stack.log(name).splitlines():
        with contextlib.suppress(ValueError):
            lines.append(json.loads(line))
    return [line for line in lines if isinstance(line, dict)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--quick", action="store_true", help="4 users, 10 s")
    args = parser.parse_args()
    if args.quick:
        args.users, args.seconds = 4, 10
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    failures: dict[str, int] = {}
    first_failure: dict[str, str] = {}  # what each kind of failure said, the first time
    lock = threading.Lock()
    with suite(ready=("gateway", "portal")) as stack:
        base = stack.urls["portal"]
        browsers = [signed_in(base, LOGINS[n % len(LOGINS)]) for n in range(args.users)]
        for browser in browsers[: len(LOGINS)]:  # warm-up: each page once per account
            for path in PAGES.values():
                browser.get(f"{base}{path}", timeout=60)
        deadline = time.monotonic() + args.seconds

        def browse(n: int) -> None:
            rng = random.Random(n)
            names = list(PAGES)
            step = rng.randrange(len(names))
            while time.monotonic() < deadline:
                name = names[step % len(names)]
                step += 1
                started = time.perf_counter()
                answer = browsers[n].get(f"{base}{PAGES[name]}", timeout=60)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if answer.status_code == 200:
                        times[name].append(elapsed)
                    else:
                        key = f"{name} {answer.status_code}"
                        failures[key] = failures.get(key, 0) + 1
                        first_failure.setdefault(key, _said(answer.text))
                time.sleep(rng.uniform(0.2, 1.0))

        users = [threading.Thread(target=browse, args=(n,)) for n in range(args.users)]
        for user in users:
            user.start()
        for user in users:
            user.join()
        # Which API calls went wrong behind the failed pages (the gateway logs each call).
        api_failures = sorted(
            {f"{line.get('method')} {line.get('path')} {line['status']}"
             for line in _log(stack, "gateway") if int(line.get("status") or 200) >= 400}
        )[:20] if failures else []  # fmt: skip
    every = sorted(t for page in times.values() for t in page)
    figures = {
        "users": args.users,
        "seconds": args.seconds,
        "pages_served": len(every),
        "pages_per_second": round(len(every) / args.seconds, 1),
        "p50_ms": round(percentile(every, 50), 1),
        "p95_ms": round(percentile(every, 95), 1),
        "p95_ms_by_page": {n: round(percentile(sorted(t), 95), 1) for n, t in times.items()},
        "p50_ms_by_page": {n: round(percentile(sorted(t), 50), 1) for n, t in times.items()},
        "not_200": failures,
        "first_failure": first_failure,
        "api_failures": api_failures,
        "database": "sqlite",
        "load_average_1min": load_average(),
    }
    print(f"{args.users} signed-in users, think time 0.2-1 s, {args.seconds:.0f} s; "
          f"load average {figures['load_average_1min']}")  # fmt: skip
    print()
    print("| page | served | p50 ms | p95 ms |")
    print("| --- | ---: | ---: | ---: |")
    for name, path in PAGES.items():
        p50, p95 = figures["p50_ms_by_page"][name], figures["p95_ms_by_page"][name]
        print(f"| {name} (`{path}`) | {len(times[name])} | {p50:.0f} | {p95:.0f} |")
    print(f"| **all** | {len(every)} | {figures['p50_ms']:.0f} | {figures['p95_ms']:.0f} |")
    print()
    emit(figures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
