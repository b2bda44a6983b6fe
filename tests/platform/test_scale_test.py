"""The pure pieces of `make scale-test` (scripts/scale_test.py), quickly.

The run itself takes minutes and is not part of `make test`; here the nginx configuration
it generates is checked by nginx itself, and its measure of 5xx runs by examples.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, need

spec = importlib.util.spec_from_file_location("scale_test", REPO_ROOT / "scripts" / "scale_test.py")
assert spec is not None and spec.loader is not None
scale_test = importlib.util.module_from_spec(spec)
sys.modules["scale_test"] = scale_test  # its dataclasses look their module up
spec.loader.exec_module(scale_test)

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def test_the_generated_upstreams_are_accepted_by_nginx(tmp_path: Path) -> None:
    conf = scale_test.render_nginx_conf(
        {"catalog": (18002, [19002, 19102]), "personnel": (18001, [19001, 19101])},
        tmp_path,
        fail_timeout=5,
    )
    # Both instances of each service, skipped for the health-check interval after a failure.
    assert "server 127.0.0.1:19002 max_fails=1 fail_timeout=5s;" in conf
    assert "server 127.0.0.1:19102 max_fails=1 fail_timeout=5s;" in conf
    assert "listen 127.0.0.1:18001;" in conf
    assert conf.count("    upstream ") == 2
    need(NGINX is not None, "nginx not installed (make edge-deps installs it when root)")
    path = tmp_path / "nginx.conf"
    path.write_text(conf)
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("samples", "longest"),
    [
        ([], 0.0),
        ([(0.0, 200), (1.0, 200)], 0.0),
        # a run lasts from its first failure to the next good answer
        ([(0.0, 200), (1.0, 502), (1.5, 0), (3.0, 200), (4.0, 503), (4.5, 201)], 2.0),
        # samples of several clients arrive out of order
        ([(3.0, 200), (1.0, 500), (0.0, 200), (2.0, 502)], 2.0),
        # a run still open at the end lasts until the last sample
        ([(0.0, 200), (1.0, 504), (7.5, 0)], 6.5),
        # 4xx are answers, not failures
        ([(0.0, 409), (5.0, 404)], 0.0),
    ],
)
def test_the_longest_5xx_run(samples: list[tuple[float, int]], longest: float) -> None:
    assert scale_test.longest_failure_run(samples) == pytest.approx(longest)
