"""The demo server: validators and 304, behaviours, request log and the concurrency counter."""

from __future__ import annotations

import http.client
import threading
import time

import pytest

from demo_site.server import DemoServer
from demo_site.site import Behaviour, load_site
from tests.support.services import free_port

REPORT = "/zwgk/xxgk/zfxxgknb/202101/t20210105_1385126.html"


def request(server: DemoServer, path: str, method: str = "GET", headers: dict | None = None):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def test_etag_and_if_none_match_give_304(demo_server) -> None:
    status, headers, body = request(demo_server, REPORT)
    assert status == 200 and body
    etag = headers["ETag"]
    status, headers2, body2 = request(demo_server, REPORT, headers={"If-None-Match": etag})
    assert (status, body2) == (304, b"")
    assert headers2["ETag"] == etag
    status, _, body3 = request(demo_server, REPORT, headers={"If-None-Match": '"other"'})
    assert status == 200 and body3 == body


def test_if_modified_since(demo_server) -> None:
    _, headers, _ = request(demo_server, REPORT)
    lm = headers["Last-Modified"]
    assert lm.endswith("GMT")
    assert request(demo_server, REPORT, headers={"If-Modified-Since": lm})[0] == 304
    assert (
        request(demo_server, REPORT, headers={"If-Modified-Since": "Mon, 04 Jan 2021 00:00:00 GMT"})[0] == 200
    )


def test_head_sends_headers_only(demo_server) -> None:
    status, headers, body = request(demo_server, REPORT, method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000


def test_declared_behaviours(demo_server) -> None:
    status, headers, _ = request(demo_server, "/xxgk/nb/")
    assert status == 302 and headers["Location"] == demo_server.url("/zwgk/xxgk/zfxxgknb/index.html")
    assert request(demo_server, "/zwgk/xxgk/zfxxgknb/2017/")[0] == 404
    assert request(demo_server, "/no/such/page.html")[0] == 404
    assert request(demo_server, "/test/500.html")[0] == 500
    status, headers, body = request(demo_server, "/test/412.html")
    assert status == 412 and "FSSBBIl1UgzbN7N80S=" in headers["Set-Cookie"] and b"$_ts" in body


def test_runtime_overrides(demo_server) -> None:
    demo_server.set_behaviour(REPORT, status=503)
    assert request(demo_server, REPORT)[0] == 503
    demo_server.set_behaviour(REPORT, Behaviour(status=301, redirect="/"))
    status, headers, _ = request(demo_server, REPORT)
    assert status == 301 and headers["Location"] == demo_server.url("/")
    demo_server.set_behaviour(REPORT, validators=False)
    status, headers, _ = request(demo_server, REPORT, headers={"If-None-Match": "*"})
    assert status == 200 and "ETag" not in headers
    demo_server.clear_behaviours()
    assert request(demo_server, REPORT)[0] == 200


def test_request_log_counts_per_path(demo_server) -> None:
    demo_server.reset_log()
    for _ in range(3):
        request(demo_server, "/")
    request(demo_server, REPORT, headers={"User-Agent": "nianbao-test"})
    assert demo_server.count("/") == 3
    assert demo_server.count(REPORT) == 1
    assert demo_server.counts == {"/": 3, REPORT: 1}
    log = demo_server.requests
    assert [r.status for r in log] == [200, 200, 200, 200]
    assert log[-1].user_agent == "nianbao-test" and log[-1].finished >= log[-1].started


def _poll(cond, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        threading.Event().wait(0.005)  # yield between polls of an in-process counter
    return False


def test_concurrency_counter(demo_server) -> None:
    demo_server.reset_log()
    request(demo_server, "/")
    request(demo_server, "/")
    assert demo_server.max_in_flight == 1  # sequential requests never overlap

    gate = threading.Event()
    demo_server.set_behaviour("/held.html", Behaviour(status=200, gate=gate))
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(request(demo_server, "/held.html")[0]))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    try:
        assert _poll(lambda: demo_server.in_flight == 3), f"in flight: {demo_server.in_flight}"
    finally:
        gate.set()
        for t in threads:
            t.join(10)
    assert results == [200, 200, 200]
    assert demo_server.max_in_flight == 3
    assert demo_server.in_flight == 0


def test_slow_path_delays(demo_server) -> None:
    demo_server.reset_log()
    assert request(demo_server, "/test/slow.html")[0] == 200
    rec = demo_server.requests[-1]
    assert rec.finished - rec.started >= 0.2  # the configured delay, measured by the server itself


def test_fixed_port_and_stop() -> None:
    port = free_port()
    with DemoServer(load_site(), port=port).start() as srv:
        assert srv.base_url == f"http://127.0.0.1:{port}"
        assert request(srv, "/")[0] == 200
    with pytest.raises(OSError):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("GET", "/")
        c.getresponse()
