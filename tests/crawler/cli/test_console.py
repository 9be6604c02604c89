"""The operator's console: exit codes, refusal of a missing corpus, settings precedence, machine-readable
state (status / runs / sites --json), `scrapy crawl portal -O`, --version / -h / python -m."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler.addon import ENV_PRIORITY, NianbaoAddon, apply_environment
from crawler.cli.crawl_cmd import build_settings, failure_counts
from demo_site.server import serve
from tests.support.crawls import FAST, NIANBAO, nianbao, query

REPO = Path(__file__).resolve().parents[3]


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **(env or {})}
    environ.pop("NIANBAO_DATABASE_URL", None)
    return subprocess.run(list(args), env=environ, capture_output=True, text=True, timeout=300, cwd=cwd)


def _zoned(value: str | None) -> bool:
    return value is not None and datetime.fromisoformat(value).tzinfo is not None


# -- no crawl needed ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["status"], ["status", "--json"], ["runs"], ["sites", "--json"],
                                     ["export", "--out", "x.jsonl"], ["dedup"], ["reprocess"]])
def test_read_only_commands_refuse_a_missing_data_folder(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "typo"
    result = _run(NIANBAO, *command, "--data-dir", str(missing), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert str(missing) in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert not missing.exists() and not (tmp_path / "x.jsonl").exists()


def test_a_missing_sqlite_database_is_refused_not_created(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    database = tmp_path / "data" / "tpyo.db"
    result = _run(NIANBAO, "status", "--data-dir", str(tmp_path / "data"), "--db", f"sqlite:///{database}")
    assert result.returncode == 2 and str(database) in result.stderr
    assert not database.exists()


def test_version_help_and_python_m(tmp_path: Path) -> None:
    version = _run(NIANBAO, "--version")
    assert version.returncode == 0 and version.stdout.startswith("nianbao ")
    as_module = _run(sys.executable, "-m", "crawler", "--version", cwd=REPO)
    assert as_module.returncode == 0 and as_module.stdout == version.stdout
    top = _run(NIANBAO, "-h")
    assert top.returncode == 0 and "Exit codes" in top.stdout and "130" in top.stdout
    for command in ("crawl", "status", "runs", "sites", "export", "dedup", "reprocess", "extract"):
        helped = _run(NIANBAO, command, "-h")
        assert helped.returncode == 0, (command, helped.stderr)
        assert "--quiet" in helped.stdout and "--verbose" in helped.stdout and "Exit codes" in helped.stdout
    both = _run(NIANBAO, "status", "--quiet", "--verbose", "--data-dir", str(tmp_path))
    assert both.returncode == 2 and "not both" in both.stderr
    usage = _run(NIANBAO, "crawl", "--data-dir", str(tmp_path / "d"))  # no URL
    assert usage.returncode == 2 and not (tmp_path / "d").exists()


def test_failure_counts_name_each_kind() -> None:
    summary = {"items/errors": 2, "reports/extractor_errors": 0, "seeds/unreachable": 1, "failures/pdf_budget": 3}
    assert failure_counts(summary) == {"items not stored": 2, "seeds unreachable": 1, "pdf budget": 3}
    assert failure_counts({"fetches/errors": 9}) == {}  # a dead link is not a failure of the crawl


# -- settings precedence --------------------------------------------------------------------------------


def test_precedence_defaults_module_environment_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NIANBAO_PROGRESS", raising=False)
    assert build_settings("settings.default", [])["NIANBAO_PROGRESS"] == "auto"
    nightly = build_settings("settings.nightly", [])
    assert nightly["NIANBAO_PROGRESS"] == "off"  # the module beats the built-in default
    assert nightly.getint("CONCURRENT_REQUESTS") == 32 and nightly["ROBOTSTXT_OBEY"] is True
    monkeypatch.setenv("NIANBAO_PROGRESS", "log")
    monkeypatch.setenv("NIANBAO_STOP_SECONDS", "7")
    monkeypatch.setenv("NIANBAO_NOT_A_SETTING", "x")
    env = build_settings("settings.nightly", [])
    assert env["NIANBAO_PROGRESS"] == "log" and env.getfloat("NIANBAO_STOP_SECONDS") == 7.0  # environment beats module
    assert "NIANBAO_NOT_A_SETTING" not in env
    cmdline = build_settings("settings.nightly", ["NIANBAO_PROGRESS=live", "LOG_LEVEL=WARNING"])
    assert cmdline["NIANBAO_PROGRESS"] == "live" and cmdline["LOG_LEVEL"] == "WARNING"  # -s beats environment


def test_the_addon_gives_scrapy_crawl_the_same_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIANBAO_DATA_DIR", str(tmp_path / "corpus"))
    monkeypatch.delenv("NIANBAO_DATABASE_URL", raising=False)
    settings = Settings()
    settings.setmodule("settings.default", priority="project")  # what `scrapy crawl` reads via scrapy.cfg
    NianbaoAddon().update_settings(settings)
    assert settings["NIANBAO_DATA_DIR"] == str(tmp_path / "corpus")
    assert settings["NIANBAO_DATABASE_URL"] == f"sqlite:///{(tmp_path / 'corpus' / 'nianbao.db').as_posix()}"
    explicit = Settings()
    explicit.setmodule("settings.default", priority="project")
    explicit.set("NIANBAO_DATA_DIR", str(tmp_path / "cmdline"), priority="cmdline")  # `-s NIANBAO_DATA_DIR=...`
    NianbaoAddon().update_settings(explicit)
    assert explicit["NIANBAO_DATA_DIR"] == str(tmp_path / "cmdline")
    assert explicit.getpriority("NIANBAO_DATA_DIR") > ENV_PRIORITY
    assert apply_environment(explicit, {"NIANBAO_DATA_DIR": "/elsewhere"}) == []


# -- metrics --------------------------------------------------------------------------------------------


def test_metrics_text_format_and_port(tmp_path: Path) -> None:
    import urllib.request

    from scrapy.utils.test import get_crawler

    from crawler.monitoring import CrawlMonitor, render_metrics

    text = render_metrics({"nianbao/fetches/stored": 12, "nianbao/hosts/a.gov.cn/suspects": 2,
                           "nianbao/note": "text", "downloader/request_count": 15},
                          job='night"ly', running=True, started=1.0, queued=4)
    assert 'nianbao_crawl_counter{job="night\\"ly",name="fetches/stored"} 12' in text
    assert 'nianbao_host_counter{job="night\\"ly",host="a.gov.cn",name="suspects"} 2' in text
    assert 'name="requests"} 15' in text and "nianbao_crawl_queued_requests" in text and "note" not in text
    for line in text.splitlines():  # every sample line: name{labels} number
        assert line.startswith("#") or re.fullmatch(r'[a-z_]+\{[^}]*\} -?[0-9.e+]+', line), line

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    crawler = get_crawler(settings_dict={"NIANBAO_JOB": "j", "NIANBAO_DATA_DIR": str(tmp_path),
                                         "NIANBAO_METRICS_PORT": port})
    monitor = CrawlMonitor.from_crawler(crawler)
    assert monitor.path == tmp_path / "metrics" / "nianbao-j.prom" and monitor.port == port
    crawler.stats.open_spider()
    crawler.stats.set_value("nianbao/reports/found", 3)
    monitor.serve(port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            served = answer.read().decode()
            assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    finally:
        monitor.server.shutdown()
        monitor.server.server_close()
    assert 'nianbao_crawl_counter{job="j",name="reports/found"} 3' in served
    monitor.write()
    assert monitor.path.read_text(encoding="utf-8").startswith("# HELP nianbao_crawl_running")


# -- real crawls ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_exit_codes_state_and_nightly_settings_of_real_crawls(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve() as server:
        dead = server.url("/no-such-portal/")
        log = tmp_path / "logs" / "crawl.log"
        first = nianbao("crawl", dead, "--job", "dead", *FAST, "--depth", "0", "--log-file", str(log),
                        data_dir=data, check=False)
        assert first.returncode == 1, first.stderr[-3000:]
        logged = log.read_text(encoding="utf-8")
        assert "INFO: Spider opened" in logged and "] INFO:" not in first.stderr  # details in the file only
        metrics = (data / "metrics" / "nianbao-dead.prom").read_text(encoding="utf-8")
        assert 'nianbao_crawl_running{job="dead"} 0' in metrics
        assert 'nianbao_crawl_finished{job="dead",reason="finished"} 1' in metrics
        assert "does not exist yet: creating it" in first.stderr and str(data) in first.stderr
        assert "1 seeds unreachable" in first.stderr and f"seed unreachable: {dead}" in first.stderr
        nothing = nianbao("export", "--out", str(tmp_path / "empty.csv"), "--format", "csv", data_dir=data, check=False)
        assert nothing.returncode == 3 and "nothing to export" in nothing.stderr
        assert not (tmp_path / "empty.csv").exists()

        # nightly settings in a pipe: no progress lines; -s LOG_LEVEL=WARNING: no INFO lines
        fast = [a for a in FAST if a not in ("--progress", "off")]
        good = nianbao("crawl", server.base_url + "/", "--job", "nightly", "--settings", "settings.nightly",
                       *fast, "-s", "LOG_LEVEL=WARNING", data_dir=data, check=False)
        assert good.returncode == 0, good.stderr[-3000:]
        assert "progress:" not in good.stderr and "] INFO:" not in good.stderr
        assert "0 failures" in good.stderr

    runs = [json.loads(line) for line in nianbao("runs", "--json", data_dir=data).stdout.splitlines()]
    assert [r["job"] for r in runs] == ["nightly", "dead"]
    for row in runs:
        assert all(key == key.lower() and " " not in key for key in row)
        assert _zoned(row["started_at"]) and _zoned(row["finished_at"])
    assert runs[1]["failures"] == 1 and runs[0]["failures"] == 0 and runs[0]["fetched"] > 10

    status = json.loads(nianbao("status", "--json", data_dir=data).stdout)
    assert {"generated_at", "fetches", "documents", "reports", "recent_errors", "sites", "runs",
            "blocked_hosts"} <= set(status)
    reports = query(data, "SELECT count(*) FROM reports")[0][0]
    assert status["reports"]["total"] == reports > 0
    assert status["fetches"]["total"] == query(data, "SELECT count(*) FROM fetches")[0][0]
    assert _zoned(status["generated_at"]) and all(_zoned(e["at"]) for e in status["recent_errors"])

    sites = json.loads(nianbao("sites", "--json", data_dir=data).stdout)
    assert sites == status["sites"] or set(sites) == set(status["sites"])
    (host, row), = sites.items()  # both seeds are on the demo server's host
    assert set(row) >= {"last_success", "pages", "reports", "errors", "blocked", "discovery", "next_due"}
    assert _zoned(row["last_success"]) and row["pages"] > 10 and row["reports"] > 0 and row["errors"] >= 1
    assert isinstance(row["discovery"], dict) and _zoned(row["next_due"])
    table = nianbao("sites", data_dir=data).stdout
    assert host in table


@pytest.mark.slow
def test_scrapy_crawl_portal_writes_report_records_with_O(tmp_path: Path) -> None:
    data = tmp_path / "corpus"
    out = tmp_path / "corpus.jsonl"
    scrapy = str(Path(sys.executable).with_name("scrapy"))
    fast = [a for a in FAST if a not in ("--progress", "off")]
    with serve() as server:
        result = _run(scrapy, "crawl", "portal", "-a", f"seeds={server.base_url}/", "-O", str(out), *fast,
                      "-s", "NIANBAO_PROGRESS=off", env={"NIANBAO_DATA_DIR": str(data)}, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "TypeError" not in result.stderr and "Traceback" not in result.stderr
    assert (data / "nianbao.db").is_file()  # NIANBAO_DATA_DIR honoured, not ./data of the checkout
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    stored = {row[0] for row in query(data, "SELECT id FROM reports")}
    assert records and {r["report_id"] for r in records} == stored
    for record in records:
        assert record["is_report"] and record["agency"] and record["year"]
        assert record["source_url"].startswith(server.base_url) and len(record["raw_sha256"]) == 64
        assert "body" not in record
