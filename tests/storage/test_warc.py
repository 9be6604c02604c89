"""`nianbao export --format warc`: WARC 1.1 whose payloads read back byte-identical to the raw store,
revisits for repeated payloads, a CDXJ index pointing at the records, a WACZ package."""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import app
from storage.config import resolve_storage
from storage.db import Storage
from storage.records import ensure_site, record_fetch
from storage.warc import surt, warc_date

WHEN = datetime(2026, 11, 2, 3, 4, 5, 678901, tzinfo=UTC)


def _corpus(data: Path) -> dict[str, bytes]:
    storage = Storage(resolve_storage(None, data))
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\r\n"
    page = "<html><head><meta charset='gbk'><title>年报</title></head><body>某局2020年报</body></html>".encode("gbk")
    bodies = {
        "http://www.a.gov.cn/nb/1.html": page,
        "http://www.a.gov.cn/nb/P1.pdf": pdf,
        "http://mirror.b.gov.cn/copy/P1.pdf": pdf,  # the same payload elsewhere: a revisit
        "http://www.a.gov.cn/nb/empty.html": b"",
    }
    with storage.session() as session:
        site = ensure_site(session, "www.a.gov.cn", "http://www.a.gov.cn/")
        for i, (url, body) in enumerate(bodies.items()):
            digest = storage.raw.put(body)
            record_fetch(session, url=url, status=200, sha256=digest, site_id=site.id,
                         fetched_at=WHEN + timedelta(seconds=i), referrer="http://www.a.gov.cn/nb/",
                         headers={"content-type": "application/pdf" if url.endswith(".pdf") else "text/html",
                                  "content-encoding": "gzip", "etag": f'"e{i}"'})
        record_fetch(session, url="http://www.a.gov.cn/gone.html", status=None, sha256=None,
                     error="TimeoutError: took too long", fetched_at=WHEN)
        record_fetch(session, url="http://www.a.gov.cn/missing.html", status=404, sha256=None, fetched_at=WHEN)
    storage.dispose()
    return bodies


def test_warc_reads_back_byte_identical_with_revisits_index_and_wacz(tmp_path: Path) -> None:
    bodies = _corpus(tmp_path / "data")
    out = tmp_path / "archive" / "corpus.warc.gz"
    result = CliRunner().invoke(app, ["export", "--format", "warc", "--wacz", "--out", str(out),
                                      "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert "archived 3 response(s), 1 revisit(s)" in result.output
    raw = Storage(resolve_storage(None, tmp_path / "data"))
    seen: dict[str, list[str]] = {}
    with out.open("rb") as handle:
        records = list(_records(handle))
    assert records[0][0] == "warcinfo" and records[0][1]["WARC-Type"] == "warcinfo"
    for rec_type, headers, http, payload in records[1:]:
        seen.setdefault(rec_type, []).append(headers["WARC-Target-URI"])
        assert headers["WARC-Date"] == warc_date(WHEN + timedelta(
            seconds=list(bodies).index(headers["WARC-Target-URI"])))
        if rec_type == "request":
            assert http.startswith("GET /") and "Host: " in http and "Referer: http://www.a.gov.cn/nb/" in http
        elif rec_type == "response":
            url = headers["WARC-Target-URI"]
            # byte-identical to the raw store (and to what was fetched)
            assert payload == raw.raw.get(hashlib.sha256(bodies[url]).hexdigest()) == bodies[url]
            assert f"Content-Length: {len(payload)}" in http and "Content-Encoding" not in http
            assert "Etag" in http or "ETag" in http
        elif rec_type == "revisit":
            assert headers["WARC-Profile"].endswith("/revisit/identical-payload-digest")
            assert headers["WARC-Refers-To-Target-URI"] == "http://www.a.gov.cn/nb/P1.pdf"
            assert payload == b""
    assert seen["revisit"] == ["http://mirror.b.gov.cn/copy/P1.pdf"]
    assert len(seen["request"]) == 4 and len(seen["response"]) == 3
    assert all(r[1]["WARC-Record-ID"] for r in records)
    with gzip.open(out) as unzipped:
        assert unzipped.read(9) == b"WARC/1.1\r"
    # every CDXJ line points at its record
    index = (tmp_path / "archive" / "corpus.cdxj").read_text(encoding="utf-8").splitlines()
    assert index == sorted(index) and len(index) == 4
    for line in index:
        key, stamp, data = line.split(" ", 2)
        entry = json.loads(data)
        assert key == surt(entry["url"]) and stamp == "20261102030" + stamp[11:] and len(stamp) == 14
        with out.open("rb") as handle:
            handle.seek(entry["offset"])
            record = next(iter(ArchiveIterator(handle)))
            assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]
    assert surt("http://www.a.gov.cn/nb/1.html?x=1") == "cn,gov,a)/nb/1.html?x=1"
    # WACZ: the files and their hashes
    with zipfile.ZipFile(tmp_path / "archive" / "corpus.wacz") as wacz:
        package = json.loads(wacz.read("datapackage.json"))
        assert package["wacz_version"] == "1.1.1"
        for resource in package["resources"]:
            data = wacz.read(resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert wacz.read("archive/corpus.warc.gz") == out.read_bytes()
        pages = wacz.read("pages/pages.jsonl").decode().splitlines()
        assert json.loads(pages[0])["format"] == "json-pages-1.0"
        assert {json.loads(p)["url"] for p in pages[1:]} == {"http://www.a.gov.cn/nb/1.html",
                                                              "http://www.a.gov.cn/nb/empty.html"}
    raw.dispose()


def _records(handle):  # noqa: ANN001, ANN202
    for record in ArchiveIterator(handle, check_digests="raise"):
        headers = dict(record.rec_headers.headers)
        http = ""
        if record.http_headers is not None:
            http = record.http_headers.to_str()
        yield record.rec_type, headers, http, record.content_stream().read()
