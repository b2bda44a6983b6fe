"""The gateway as a plain WSGI callable: own endpoints, routing, auth, forwarding, access log."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from cakap_shared.logs import AccessLog, accept_request_id, configure_logging, loggable_path
from cakap_shared.problems import PROBLEM_MIMETYPE, problem_body

from . import docs
from .auth import GatewayAuth
from .config import GatewayConfig
from .errors import BadRequest, BodyTooLarge, ClientStalled, UpstreamError
from .pool import Upstream
from .proxy import ForwardPolicy, forward, simple_get
from .routing import ManifestRegistry, RouteTable

log = logging.getLogger("cakap.gateway")
JSON = "application/json"
_PHRASES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}
_WWW_AUTHENTICATE = ("WWW-Authenticate", 'Bearer error="invalid_token"')


Answer = tuple[str, list[tuple[str, str]], Iterable[bytes]]


@dataclass(slots=True)
class Exchange:
    """One request as the gateway handles it: who answers it, for the log and the problems."""

    started: float
    request_id: str
    method: str
    path: str
    service: str = "gateway"  # the service it was forwarded to, once it is


class Gateway:
    """The WSGI application: `Gateway(config)(environ, start_response)`."""

    def __init__(self, config: GatewayConfig, *, start_refresher: bool = True) -> None:
        self.config = config
        self.upstreams = {
            name: Upstream(name, url, config.connect_timeout, config.read_timeout, config.pool_size)
            for name, url in config.service_urls.items()
        }
        self.policy = ForwardPolicy(
            trust_forwarded=config.trust_forwarded,
            trusted_forwarders=config.trusted_forwarders,
            forwarder_secret=config.forwarder_secret,
            max_body=config.max_body,
        )
        self.auth = GatewayAuth(config)
        self.registry = ManifestRegistry(
            self.upstreams, config.manifest_ttl, config.manifest_timeout, config.default_service
        )
        log_writer = AccessLog("gateway")
        self.access_log = log_writer if config.access_log and log_writer.enabled else None
        self._openapi: tuple[float, dict[str, Any]] | None = None
        self._openapi_lock = threading.Lock()
        self._own: dict[str, Callable[[dict[str, Any], str], Answer]] = {
            "/health/live": self.live,
            "/health/ready": self.ready,
            "/api/openapi.json": self.openapi_json,
            "/api/docs": self.docs_page,
            "/api/v1/services": self.services,
        }
        # A service down at start is retried by the refresher; the gateway starts anyway.
        self.registry.refresh()
        if start_refresher:
            self.registry.start()

    # -- the hot path -------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Answer one request: route it, answer or forward it, log it."""
        exchange = Exchange(
            started=time.perf_counter(),
            request_id=accept_request_id(environ.get("HTTP_X_REQUEST_ID")),
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO") or "/",
        )
        try:
            status, headers, body = self.answer(environ, exchange)
        except Exception as exc:  # each failure is a problem answer, never a trace
            status, headers, body = self.failure(exc, exchange)
        headers.append(("X-Request-ID", exchange.request_id))
        start_response(status, headers)
        self.log_access(exchange, status)
        return body

    def answer(self, environ: dict[str, Any], exchange: Exchange) -> Answer:
        """The gateway's own endpoint, a refusal, or the service's answer."""
        path, request_id = exchange.path, exchange.request_id
        own = self._own.get(path)
        if own is not None:
            return own(environ, request_id)
        if _blocked(path, self.config.blocked_prefixes):
            return self.problem(404, "No such resource.", request_id)
        table, target = self.route(path)
        if target is None:
            return self.no_route(path, request_id)
        if (
            path.startswith("/api/")
            and self.auth.claims(environ.get("HTTP_AUTHORIZATION")) is None
            and not table.is_public(target, exchange.method, path)
        ):
            return self.problem(
                401, "A valid access token is required.", request_id, _WWW_AUTHENTICATE
            )
        exchange.service = target
        answer = forward(self.upstreams[target], environ, request_id, self.policy)
        return answer.status, answer.headers, answer.body

    def route(self, path: str) -> tuple[RouteTable, str | None]:
        """The route table and the service serving `path`, re-reading missing manifests once."""
        table = self.registry.table
        target = table.match(path)
        if target is None and self.registry.missing and self.registry.refresh_if_due():
            table = self.registry.table
            target = table.match(path)
        return table, target

    def failure(self, exc: Exception, exchange: Exchange) -> Answer:
        """The problem answer for what went wrong while answering."""
        request_id, service = exchange.request_id, exchange.service
        if isinstance(exc, UpstreamError):
            log.warning(
                "%s %s: %s",
                exchange.method,
                exchange.path,
                exc,
                extra={"request_id": request_id, "fields": {"service": service}},
            )
            detail = (
                f"The {service} service did not answer in time."
                if exc.status == 504
                else f"The {service} service is unavailable."
            )
            return self.problem(exc.status, detail, request_id)
        if isinstance(exc, BodyTooLarge):
            return self.problem(
                413,
                f"The request body exceeds {self.config.max_body} bytes.",
                request_id,
                ("Connection", "close"),
            )
        if isinstance(exc, BadRequest):
            return self.problem(400, str(exc), request_id)
        if isinstance(exc, ClientStalled):
            return self.problem(
                408, "The request body was not sent in time.", request_id, ("Connection", "close")
            )
        log.exception(
            "gateway failure on %s %s",
            exchange.method,
            exchange.path,
            extra={"request_id": request_id},
            exc_info=exc,
        )
        return self.problem(
            500,
            "An unexpected error occurred. Quote the request id when reporting it.",
            request_id,
        )

    def log_access(self, exchange: Exchange, status: str) -> None:
        """One access log line (health probes are not logged; player credentials masked)."""
        path = exchange.path
        if self.access_log and path[:8] != "/health/":
            self.access_log.write(
                exchange.method,
                loggable_path(path) if path[:6] == "/play/" else path,
                int(status[:3]),
                round((time.perf_counter() - exchange.started) * 1000, 2),
                exchange.request_id,
                upstream=exchange.service,
            )

    # -- answers --------------------------------------------------------------------------
    @staticmethod
    def problem(
        status: int, detail: str, request_id: str, *extra_headers: tuple[str, str], **extra: Any
    ) -> tuple[str, list[tuple[str, str]], list[bytes]]:
        """A problem+json answer (RFC 9457)."""
        line = _PHRASES.get(status, f"{status} Error")
        body = problem_body(status, line[4:], detail, request_id=request_id, **extra)
        data = json.dumps(body).encode()
        headers = [("Content-Type", PROBLEM_MIMETYPE), ("Content-Length", str(len(data)))]
        headers.extend(extra_headers)
        return line, headers, [data]

    @staticmethod
    def json_answer(status: int, document: Any) -> tuple[str, list[tuple[str, str]], list[bytes]]:
        """A JSON answer."""
        data = json.dumps(document).encode()
        return (
            _PHRASES[status],
            [("Content-Type", JSON), ("Content-Length", str(len(data)))],
            [data],
        )

    def no_route(
        self, path: str, request_id: str
    ) -> tuple[str, list[tuple[str, str]], list[bytes]]:
        """404, or 503 while some service's routes are not known yet."""
        self.registry.poke()
        missing = self.registry.missing
        if missing and path.startswith("/api/"):
            return self.problem(
                503,
                "No known service serves this path; the routes of "
                f"{', '.join(missing)} are not known yet.",
                request_id,
                ("Retry-After", "1"),
            )
        return self.problem(404, "No service serves this path.", request_id)

    # -- own endpoints --------------------------------------------------------------------
    def live(self, environ: dict[str, Any], request_id: str) -> Answer:
        """The process answers."""
        return self.json_answer(200, {"status": "ok", "service": "gateway"})

    def _health(self, request_id: str) -> dict[str, dict[str, Any]]:
        """Each service's /health/ready, asked in parallel: ok, unavailable or unreachable."""

        def check(name: str) -> tuple[str, dict[str, Any]]:
            try:
                code, _ = simple_get(
                    self.upstreams[name], "/health/ready", self.config.manifest_timeout, request_id
                )
            except UpstreamError as exc:
                return name, {"status": "unreachable", "detail": str(exc)}
            return name, {"status": "ok" if code == 200 else "unavailable", "http_status": code}

        names = list(self.upstreams)
        with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
            return dict(pool.map(check, names))

    def ready(self, environ: dict[str, Any], request_id: str) -> Answer:
        """200 only when every service's /health/ready answers 200; else 503, per service."""
        services = self._health(request_id)
        if self.registry.missing:
            self.registry.refresh_if_due()
        # Ready means routable too: a service whose manifest is unknown cannot be reached.
        for name in self.registry.missing:
            services[name] = {**services[name], "status": "unavailable", "manifest": "unknown"}
        ok = all(s["status"] == "ok" for s in services.values())
        document = {"status": "ok" if ok else "unavailable", "services": services}
        return self.json_answer(200 if ok else 503, document)

    def services(self, environ: dict[str, Any], request_id: str) -> Answer:
        """Every service the gateway routes to (admins): its manifest's version and routes, its
        health, and where its event outbox is read, so a page listing services needs no list
        of its own and a new service appears once it is in SERVICE_URLS."""
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            return self.problem(405, "Only GET.", request_id, ("Allow", "GET, HEAD"))
        claims = self.auth.claims(environ.get("HTTP_AUTHORIZATION"))
        if claims is None:
            return self.problem(
                401, "A valid access token is required.", request_id, _WWW_AUTHENTICATE
            )
        roles = claims.get("roles")
        if not (isinstance(roles, list) and "admin" in roles):
            return self.problem(403, "Only administrators read the service registry.", request_id)
        health = self._health(request_id)
        manifests = self.registry.manifests
        items = []
        for name in self.upstreams:
            manifest = manifests.get(name)
            outbox = f"/api/v1/outbox/{name}"
            items.append(
                {
                    "name": name,
                    "version": manifest.version if manifest else None,
                    "manifest": "known" if manifest else "unknown",
                    "status": health[name]["status"],
                    "routes": list(manifest.routes) if manifest else [],
                    "outbox": outbox if manifest and outbox in manifest.routes else None,
                }
            )
        return self.json_answer(200, {"items": items, "total": len(items)})

    def merged_openapi(self, request_id: str = "") -> dict[str, Any]:
        """Every service's OpenAPI document merged (cached for the manifest TTL)."""
        cached = self._openapi
        if cached is not None and time.monotonic() - cached[0] < self.config.manifest_ttl:
            return cached[1]
        with self._openapi_lock:
            manifests = self.registry.manifests

            def fetch(name: str) -> tuple[str, dict[str, Any] | None]:
                manifest = manifests.get(name)
                if manifest is None or not manifest.openapi:
                    return name, None
                try:
                    code, data = simple_get(
                        self.upstreams[name],
                        manifest.openapi,
                        self.config.manifest_timeout,
                        request_id,
                    )
                    document = json.loads(data) if code == 200 else None
                except (UpstreamError, ValueError):
                    document = None
                return name, document if isinstance(document, dict) else None

            names = list(self.upstreams)
            with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
                results = dict(pool.map(fetch, names))
            documents = {n: d for n, d in results.items() if d is not None}
            missing = [
                n
                for n, d in results.items()
                if d is None and n in manifests and manifests[n].openapi
            ]
            missing += self.registry.missing
            prefixes = self.config.blocked_prefixes
            merged = docs.merge_openapi(documents, missing, lambda p: _blocked(p, prefixes))
            self._openapi = (time.monotonic(), merged)
            return merged

    def openapi_json(self, environ: dict[str, Any], request_id: str) -> Answer:
        """GET /api/openapi.json."""
        return self.json_answer(200, self.merged_openapi(request_id))

    def docs_page(self, environ: dict[str, Any], request_id: str) -> Answer:
        """GET /api/docs: a server-rendered listing (no CDN assets)."""
        data = docs.render_docs(self.merged_openapi(request_id)).encode()
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))]
        return "200 OK", headers, [data]

    def close(self) -> None:
        """Stop the refresher and drop pooled connections."""
        self.registry.stop()
        for upstream in self.upstreams.values():
            upstream.close()


def _blocked(path: str, prefixes: tuple[str, ...]) -> bool:
    """Blocked prefixes (/internal/* ...) and paths with dot or empty segments are refused."""
    for prefix in prefixes:
        if path.startswith(prefix) and path[len(prefix) : len(prefix) + 1] in ("", "/"):
            return True
    if "//" in path or "/." in path:
        probe = path + "/"
        return "/../" in probe or "/./" in probe or "//" in probe
    return False


def create_app(config: GatewayConfig | None = None, *, start_refresher: bool = True) -> Gateway:
    """Build the gateway from the environment (gunicorn: `gateway:create_app()`)."""
    config = config or GatewayConfig.from_env()
    configure_logging("gateway", config.log_level)
    return Gateway(config, start_refresher=start_refresher)
