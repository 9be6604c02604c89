"""A local hostile web site: the hostile corpus as attachments of a portal, plus hostile HTTP behaviours
(redirect loops, a gzip bomb, redirects and meta refreshes to other loopback services and to the cloud
metadata address, an endless report-minting trap, lying headers)."""

from __future__ import annotations

import gzip
import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

from tests.support.hostile_corpus import REPORT, Sample, hostile_samples

TRAP_FANOUT = 30


class HostileSite:
    """Serve `samples` under /files/ and the behaviours below; `other_url` is a loopback service that
    no request may reach."""

    def __init__(self, other_url: str, samples: list[Sample] | None = None) -> None:
        self.samples = {quote(s.filename): s for s in (samples or hostile_samples())}
        self.other_url = other_url
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self.gzip_bomb = gzip.compress(b"<html><body>" + b" " * (64 * 2**20) + b"</body></html>", 9)

    def index(self) -> bytes:
        links = [f'<li><a href="/files/{name}">2020年政府信息公开工作年度报告附件 {html.escape(s.name)}</a></li>'
                 for name, s in self.samples.items()]
        behaviours = [
            ("/loop/a.html", "2020年政府信息公开工作年度报告（循环）"),
            ("/bomb.html", "2020年政府信息公开工作年度报告（压缩）"),
            ("/away.html", "2020年政府信息公开工作年度报告（外链）"),
            ("/refresh.html", "2020年政府信息公开工作年度报告（刷新）"),
            ("/metadata.html", "2020年政府信息公开工作年度报告（元数据）"),
            ("/trap/0.html", "2020年政府信息公开工作年度报告 0"),
            ("/lying.pdf", "2020年政府信息公开工作年度报告（PDF）"),
            ("/disposition", "2020年政府信息公开工作年度报告（下载）"),
        ]
        links += [f'<li><a href="{path}">{text}</a></li>' for path, text in behaviours]
        return (f"<html><head><meta charset='utf-8'><title>政府信息公开年报</title></head><body><h1>政府信息公开工作年度报告</h1>"
                f"<ul>{''.join(links)}</ul></body></html>").encode()

    def answer(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        with self._lock:
            self.requests.append(path)
        page = urlsplit(path).path
        if page in ("/", "/index.html"):
            return 200, [("Content-Type", "text/html; charset=utf-8")], self.index()
        if page == "/robots.txt":
            return 404, [], b""
        if page.startswith("/files/"):
            sample = self.samples.get(quote(unquote(page[len("/files/"):])))
            if sample is None:
                return 404, [], b""
            return 200, [("Content-Type", sample.content_type)], sample.body
        if page == "/loop/a.html":
            return 302, [("Location", "/loop/b.html")], b""
        if page == "/loop/b.html":
            return 302, [("Location", "/loop/a.html")], b""
        if page == "/bomb.html":
            return 200, [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], self.gzip_bomb
        if page == "/away.html":
            return 302, [("Location", self.other_url + "/secret")], b""
        if page == "/refresh.html":
            body = f'<html><head><meta http-equiv="refresh" content="0; url={self.other_url}/refreshed"></head></html>'
            return 200, [("Content-Type", "text/html")], body.encode()
        if page == "/metadata.html":
            return 302, [("Location", "http://169.254.169.254/latest/meta-data/")], b""
        if page.startswith("/trap/"):
            n = int(page[len("/trap/"):].split(".")[0] or 0)
            links = "".join(f'<li><a href="/trap/{n * TRAP_FANOUT + k + 1}.html">2020年政府信息公开工作年度报告 '
                            f"{n * TRAP_FANOUT + k + 1}</a></li>" for k in range(TRAP_FANOUT))
            body = (f"<html><head><meta charset='utf-8'><title>2020年政府信息公开工作年度报告 {n}</title></head><body>"
                    f"<h1>2020年政府信息公开工作年度报告 {n}</h1><p>{REPORT}</p><ul>{links}</ul></body></html>")
            return 200, [("Content-Type", "text/html; charset=utf-8")], body.encode()
        if page == "/lying.pdf":  # says PDF, is HTML
            return 200, [("Content-Type", "application/pdf")], f"<html><body><p>{REPORT}</p></body></html>".encode()
        if page == "/disposition":
            return 200, [("Content-Type", "application/octet-stream"),
                         ("Content-Disposition", 'attachment; filename="../../../../tmp/nianbao-escape.html"')], \
                f"<html><body><p>{REPORT}</p></body></html>".encode()
        return 404, [], b""


class _Handler(BaseHTTPRequestHandler):
    site: HostileSite

    def do_GET(self) -> None:  # noqa: N802
        status, headers, body = self.server.site.answer(self.path)  # type: ignore[attr-defined]
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class Recorder(BaseHTTPRequestHandler):
    """The loopback service nobody may reach: records every request."""

    def do_GET(self) -> None:  # noqa: N802
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def start(handler: type, **attrs: object) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for name, value in attrs.items():
        setattr(server, name, value)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
