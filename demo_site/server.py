"""A small threaded HTTP server for the demo site, for tests, `make demo` and `nianbao demo-site`.

    with serve() as srv:
        fetch(srv.base_url + "/")
        srv.count("/")            # requests seen for a path
        srv.max_in_flight         # most requests handled at the same time (politeness)
        srv.set_behaviour("/x.html", Behaviour(status=500))   # per-test overrides

Answers GET and HEAD. Per-path behaviours (status, delay, redirect, 412 challenge, validators) come
from the site description's [[behaviour]] entries and page fields, then from `set_behaviour`.
Pages carry ETag and Last-Modified; If-None-Match / If-Modified-Since give 304.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from demo_site.site import Behaviour, Page, Site, load_site
from demo_site.traps import trap_answer

READY_PATH = "/__demo__/ready"

_CHALLENGE_BODY = b"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta id="9DhefwqGPrzK" content="SxMvhGQyBpyDkGfRbKyEqrgSVTGfEYzRmtAqXBh">
<script type="text/javascript" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=84767;$_ts.cd="qEkdrrAlWGqcG";</script>
<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.js" r='m'></script>
</head><body></body></html>"""


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    status: int
    user_agent: str
    started: float
    finished: float


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client closing a kept-alive connection is not an error
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class DemoServer:
    """A running demo server: base URL, request log, concurrency counter, behaviour overrides."""

    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self._overrides: dict[str, Behaviour] = {}
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []
        self._counts: Counter[str] = Counter()
        self._in_flight = 0
        self.max_in_flight = 0
        self._httpd = _HTTPServer((host, port), _make_handler(self))
        self.host, self.port = self._httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self, timeout: float = 10.0) -> DemoServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="demo-site", daemon=True
        )
        self._thread.start()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Poll the readiness path until it answers 200 or `timeout` passes."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection(
                self.host, self.port, timeout=max(0.1, deadline - time.monotonic())
            )
            try:
                conn.request("GET", READY_PATH)
                if conn.getresponse().status == 200:
                    return
            except OSError as exc:
                last_error = exc
            finally:
                conn.close()
        raise RuntimeError(f"demo site at {self.base_url} not ready after {timeout}s: {last_error}")

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> DemoServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ behaviours

    def set_behaviour(self, path: str, behaviour: Behaviour | None = None, **fields: object) -> None:
        """Override how `path` is answered (a Behaviour, or its fields as keywords)."""
        self._overrides[path] = behaviour or Behaviour(**fields)  # type: ignore[arg-type]

    def clear_behaviours(self) -> None:
        self._overrides.clear()

    def behaviour_for(self, path: str, page: Page | None) -> Behaviour | None:
        base = path.split("?", 1)[0]
        for key in (path, base):
            if key in self._overrides:
                return self._overrides[key]
        b = self.site.behaviour(path)
        if b is not None:
            return b
        return page.behaviour if page is not None else None

    # ------------------------------------------------------------ request log

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    @property
    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self._counts)

    def count(self, path: str) -> int:
        with self._lock:
            return self._counts[path]

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._counts.clear()
            self.max_in_flight = 0

    def _enter(self) -> float:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        return time.monotonic()

    def _leave(self, record: RequestRecord) -> None:
        with self._lock:
            self._in_flight -= 1
            self._log.append(record)
            self._counts[record.path] += 1


def _make_handler(server: DemoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "nginx"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # the request log is kept on the DemoServer

        def do_HEAD(self) -> None:  # noqa: N802
            self._serve(head=True)

        def do_GET(self) -> None:  # noqa: N802
            self._serve(head=False)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            self._raw = raw
            self._form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            self._serve(head=False)

        def _serve(self, head: bool) -> None:
            if self.path == READY_PATH:
                self._send(200, b"ok", "text/plain", head=head)
                return
            self._started = server._enter()
            self._recorded = False
            try:
                self._answer(head)
            finally:
                self._record(500)

        def _record(self, status: int) -> None:
            """Log the request once, before its response is written, so a client that has read
            the response always finds it in the log."""
            if self._recorded:
                return
            self._recorded = True
            ua = self.headers.get("User-Agent", "")
            server._leave(RequestRecord(self.command, self.path, status, ua, self._started, time.monotonic()))

        def _answer(self, head: bool) -> int:
            site = server.site
            challenge = site.settings.get("challenge")
            if challenge:  # a host behind an anti-bot wall: every path answers with its challenge
                return self._challenge(str(challenge), head)
            base_path = self.path.split("?", 1)[0]
            scripted = self._scripted(site, base_path, head)
            if scripted is not None:
                return scripted
            if base_path.endswith("/module/web/jpage/dataproxy.jsp"):
                from demo_site.templates import hanweb_dataproxy

                query = dict(parse_qsl(urlsplit(self.path).query))
                status, body, ctype = hanweb_dataproxy(site, base_path, query, getattr(self, "_form", {}))
                return self._send(status, body, ctype, head)
            trap = trap_answer(self.path)
            if trap is not None:
                status, body, ctype, extra_headers = trap
                return self._send(status, body, ctype, head, extra_headers)
            page = site.page(self.path)
            b = server.behaviour_for(self.path, page)
            if b is not None and b.gate is not None:
                b.gate.wait(timeout=30)
            if b is not None and b.delay > 0:
                time.sleep(b.delay)  # the behaviour under test: a slow server
            extra = list(b.headers) if b else []
            if b is not None and b.redirect:
                status = b.status if 300 <= b.status < 400 else 302
                location = b.redirect if b.redirect.startswith("http") else server.base_url + b.redirect
                return self._send(status, b"", "text/html", head, [("Location", location), *extra])
            if b is not None and b.challenge:
                cookies = [
                    ("Set-Cookie", "FSSBBIl1UgzbN7N80S=demo" + str(server.port) + "; Path=/; HttpOnly"),
                ]
                return self._send(b.status, _CHALLENGE_BODY, "text/html", head, cookies + extra)
            if page is None and b is not None and b.status < 400:
                # A behaviour-only path (e.g. a slow page for politeness tests): a small fixed body.
                body = f"<html><body><p>{self.path}</p></body></html>".encode()
                return self._send(b.status, body, "text/html; charset=utf-8", head, extra)
            if page is None or (b is not None and b.status >= 400):
                status = b.status if b is not None and b.status >= 400 else 404
                body = f"<html><body><h1>{status}</h1><p>{self.path}</p></body></html>".encode()
                return self._send(status, body, "text/html; charset=utf-8", head, extra)
            res = site.resource(page)
            validators = b is None or b.validators
            headers = [*extra]
            if validators:
                headers += [("ETag", res.etag), ("Last-Modified", res.last_modified_http)]
                if self._not_modified(res.etag, res.last_modified):
                    return self._send(304, b"", None, True, headers)
            status = b.status if b is not None else 200
            return self._send(status, res.body, res.content_type, head, headers)

        def _scripted(self, site: Site, base_path: str, head: bool) -> int | None:
            """Cookie challenges, Debian's jQuery and the scripted lists' APIs (demo_site.scripted)."""
            from demo_site import scripted

            for gate in site.gates:
                if base_path.startswith(gate["prefix"]):
                    body = scripted.gate_answer(gate, self.headers.get("Cookie", ""))
                    if body is not None:
                        return self._send(200, body, "text/html; charset=utf-8", head)
            if base_path == scripted.JQUERY_PATH:
                jquery = scripted.jquery_bytes()
                if jquery is None:
                    return self._send(404, b"jQuery is not installed (Debian package libjs-jquery)", "text/plain", head)
                return self._send(200, jquery, "application/javascript", head)
            endpoint = site.endpoints.get(base_path)
            if endpoint is not None:
                query = dict(parse_qsl(urlsplit(self.path).query))
                status, body, ctype = scripted.api_answer(site, endpoint, self.command, query, getattr(self, "_raw", b""))
                return self._send(status, body, ctype, head)
            return None

        def _challenge(self, kind: str, head: bool) -> int:
            if kind == "jsl":  # 加速乐-style: a 200 page that only sets a cookie by script and reloads
                body = (b'<html><body><script>document.cookie="__jsl_clearance=1611111111.1|0|demo;max-age=3600;'
                        b'path=/";location.href=location.pathname+location.search</script></body></html>')
                cookies = [("Set-Cookie", "__jsluid_h=" + str(server.port) + "demo; max-age=31536000; path=/")]
                return self._send(200, body, "text/html", head, cookies)
            cookies = [("Set-Cookie", "FSSBBIl1UgzbN7N80S=demo" + str(server.port) + "; Path=/; HttpOnly")]
            return self._send(int(kind) if kind.isdigit() else 412, _CHALLENGE_BODY, "text/html", head, cookies)

        def _not_modified(self, etag: str, last_modified) -> bool:  # noqa: ANN001
            inm = self.headers.get("If-None-Match")
            if inm is not None:
                tags = [t.strip() for t in inm.split(",")]
                return "*" in tags or etag in tags or f"W/{etag}" in tags
            ims = self.headers.get("If-Modified-Since")
            if ims:
                try:
                    since = parsedate_to_datetime(ims)
                except (TypeError, ValueError):
                    return False
                if since.tzinfo is None:
                    return False
                return last_modified.replace(microsecond=0) <= since
            return False

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str | None,
            head: bool,
            headers: list[tuple[str, str]] | None = None,
        ) -> int:
            if self.path != READY_PATH:
                self._record(status)
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            for k, v in headers or []:
                self.send_header(k, v)
            self.end_headers()
            if not head and status != 304:
                self.wfile.write(body)
            return status

    return Handler


def serve(host: str = "127.0.0.1", port: int = 0, site: Site | None = None) -> DemoServer:
    """Start a demo server on host:port (0 = a free port) and return it once it answers."""
    return DemoServer(site or load_site(), host, port).start()
