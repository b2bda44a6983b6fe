"""The route table, built from the services' manifests and refreshed in the background."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .errors import UpstreamError
from .pool import Upstream
from .proxy import simple_get

log = logging.getLogger("cakap.gateway.routing")
MANIFEST_PATH = "/.well-known/service.json"
# While a service has not given its manifest yet, ask it again this often.
MISSING_RETRY = 1.0
# A request for an unknown route wakes the refresher, at most this often.
POKE_INTERVAL = 1.0


@dataclass(frozen=True)
class Manifest:
    """What the gateway uses of a service's /.well-known/service.json."""

    name: str
    version: str
    routes: tuple[str, ...]
    public_routes: tuple[tuple[frozenset[str], str], ...]
    openapi: str = "/api/openapi.json"
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def parse(cls, document: Any) -> Manifest:
        """Validate a manifest document; ValueError when it is unusable."""
        if not isinstance(document, dict) or not isinstance(document.get("routes"), list):
            raise ValueError("manifest needs a routes list")
        routes = tuple(r for r in document["routes"] if isinstance(r, str) and r.startswith("/"))
        public = []
        for item in document.get("public_routes") or []:
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                continue
            methods = item.get("methods") or ["GET"]
            if not isinstance(methods, list):
                continue
            public.append((frozenset(str(m).upper() for m in methods), item["path"]))
        openapi = document.get("openapi")
        return cls(
            name=str(document.get("name", "")),
            version=str(document.get("version", "")),
            routes=routes,
            public_routes=tuple(public),
            openapi=openapi if isinstance(openapi, str) and openapi.startswith("/") else "",
            raw=document,
        )


def _normalise(prefix: str) -> str:
    return prefix.rstrip("/") or "/"


def _public_pattern(path: str) -> re.Pattern[str]:
    # `*` stands for exactly one path segment.
    return re.compile("^" + re.escape(path.rstrip("/")).replace(r"\*", "[^/]+") + "/?$")


class RouteTable:
    """Longest-prefix routing over the declared prefixes; immutable once built."""

    def __init__(
        self, manifests: dict[str, Manifest], order: Iterable[str], default: str | None
    ) -> None:
        self.prefixes: dict[str, str] = {}
        self.public: dict[str, list[tuple[frozenset[str], re.Pattern[str]]]] = {}
        self.default = default
        order = [s for s in order if s in manifests]
        for service in order:
            manifest = manifests[service]
            for prefix in map(_normalise, manifest.routes):
                self._claim(prefix, service)
            self.public[service] = [(m, _public_pattern(p)) for m, p in manifest.public_routes]
        # A public non-API path without wildcards is a path the service serves too (personnel's
        # /.well-known/jwks.json); it never takes a path another service declared.
        for service in order:
            for _, path in manifests[service].public_routes:
                if "*" not in path and not path.startswith("/api/"):
                    self._claim(_normalise(path), service)

    def _claim(self, prefix: str, service: str) -> None:
        owner = self.prefixes.setdefault(prefix, service)
        if owner != service:
            log.warning(
                "route %s declared by %s and %s; %s keeps it", prefix, owner, service, owner
            )

    def match(self, path: str) -> str | None:
        """The service owning `path`: longest declared prefix on a segment boundary."""
        prefixes = self.prefixes
        candidate = path
        while candidate:
            service = prefixes.get(candidate)
            if service is not None:
                return service
            cut = candidate.rfind("/")
            if cut <= 0:
                break
            candidate = candidate[:cut]
        if path.startswith("/api/"):
            return None  # an API path never falls back to the portal
        return prefixes.get("/") or self.default

    def is_public(self, service: str, method: str, path: str) -> bool:
        """True when `service` declared this method and path reachable without a token."""
        for methods, pattern in self.public.get(service, ()):
            if (method in methods or (method == "HEAD" and "GET" in methods)) and pattern.match(
                path
            ):
                return True
        return False


class ManifestRegistry:
    """Fetches every service's manifest at start and keeps the route table fresh."""

    def __init__(
        self,
        upstreams: dict[str, Upstream],
        ttl: float,
        timeout: float,
        default_service: str | None,
    ) -> None:
        self.upstreams = upstreams
        self.ttl = ttl
        self.timeout = timeout
        self.default = default_service if default_service in upstreams else None
        self.manifests: dict[str, Manifest] = {}
        self.table = RouteTable({}, (), self.default)
        self.refreshed_at = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_poke = 0.0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def missing(self) -> list[str]:
        """Services whose manifest the gateway has never obtained."""
        return [name for name in self.upstreams if name not in self.manifests]

    def fetch(self, name: str) -> Manifest:
        """One service's manifest; UpstreamError/ValueError when unavailable."""
        status, body = simple_get(self.upstreams[name], MANIFEST_PATH, self.timeout)
        if status != 200:
            raise UpstreamError(f"{name}: manifest answered {status}")
        return Manifest.parse(json.loads(body))

    def refresh(self) -> RouteTable:
        """Fetch all manifests (in parallel); a service that fails keeps its last manifest."""
        with self._lock:
            names = list(self.upstreams)
            with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
                results = list(pool.map(self._try_fetch, names))
            manifests = dict(self.manifests)
            for name, manifest in zip(names, results, strict=True):
                if manifest is not None:
                    if manifests.get(name) != manifest:
                        log.info(
                            "manifest of %s: %s",
                            name,
                            ", ".join(manifest.routes),
                            extra={"fields": {"service": name, "version": manifest.version}},
                        )
                    manifests[name] = manifest
            self.manifests = manifests
            self.table = RouteTable(manifests, names, self.default)
            self.refreshed_at = time.monotonic()
            return self.table

    def refresh_if_due(self, min_interval: float = 0.1) -> bool:
        """Refresh now unless one ran in the last `min_interval` s; True if this call did."""
        if time.monotonic() - self.refreshed_at < min_interval:
            return False
        self.refresh()
        return True

    def _try_fetch(self, name: str) -> Manifest | None:
        try:
            return self.fetch(name)
        except (UpstreamError, ValueError) as exc:
            log.warning("manifest of %s unavailable: %s", name, exc)
            return None

    def start(self) -> None:
        """Refresh every `ttl` seconds (every second while a manifest is missing)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="manifest-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the background refresher."""
        self._stop.set()
        self._wake.set()

    def poke(self) -> None:
        """Ask for an early refresh (an unknown route was requested); rate-limited."""
        now = time.monotonic()
        if self._thread is not None and now - self._last_poke >= POKE_INTERVAL:
            self._last_poke = now
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = MISSING_RETRY if self.missing else self.ttl
            self._wake.wait(wait)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.refresh()
            except Exception:  # the refresher must outlive any surprise
                log.exception("manifest refresh failed")
