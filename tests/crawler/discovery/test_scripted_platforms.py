"""Reports behind platforms whose lists appear only when scripts run, found three ways:
adapters reading the pages' declarations only, the browser only, and both (the default).

A small portal of the four scripted demo platforms (demo_site/scripted.py) is crawled end to end;
every report must be stored and nothing else. Browser runs skip with the reason when chromium
cannot run here (they run wherever `make deb` could install it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.antibot import solve_cookie_challenge
from crawler.browser import browser_availability, find_chromium
from crawler.health import attention, discovery_health
from demo_site import truth
from demo_site.run_demo import compare
from demo_site.server import DemoServer
from demo_site.site import Site
from tests.support.crawls import FAST, nianbao

SUBSITES = [
    {"platform": "jpage", "prefix": "/sthj", "agency": "云溪区生态环境分局", "years": [2016, 2025], "column": 3301,
     "perpage": 2, "group": 2},
    {"platform": "fetchjson", "prefix": "/zrzy", "agency": "云溪区自然资源局", "years": [2018, 2025], "page_size": 3},
    {"platform": "spa", "prefix": "/tyjr", "agency": "云溪区退役军人事务局", "years": [2019, 2025], "page_size": 3},
    {"platform": "challenge", "prefix": "/yjgl", "agency": "云溪区应急管理局", "years": [2020, 2025], "page_size": 3,
     "cookie": "yjgl_clearance", "token": "7c4e2a9b"},
]


def scripted_site() -> Site:
    return Site({"site": {"name": "云溪区人民政府", "subsites_path": "/", "nav": [["首页", "/"]],
                          "first_id": 3100000}, "page": [], "subsite": SUBSITES})


def chromium_runs() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    path, message = browser_availability({"NIANBAO_BROWSER": "auto"})
    if path is None:
        return message
    import subprocess

    try:
        subprocess.run([path, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "about:blank"],
                       capture_output=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"chromium at {path} does not start: {exc}"
    return None


def crawl(tmp_path: Path, mode: str) -> tuple[int, int, list[str], dict, str]:
    site = scripted_site()
    data = tmp_path / mode
    with DemoServer(site).start() as server:
        result = nianbao("crawl", server.base_url + "/", "--job", mode, *FAST, "-s", f"NIANBAO_DISCOVERY={mode}",
                         data_dir=data, timeout=600)
        expected = truth(server.base_url, site)
    out = tmp_path / f"{mode}.jsonl"
    nianbao("export", "--format", "jsonl", "--out", str(out), data_dir=data)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines, found, extra = compare(rows, expected)
    runs = [json.loads(line) for line in nianbao("runs", "--json", data_dir=data).stdout.splitlines() if line.strip()]
    assert len(expected.reports) == 10 + 8 + 7 + 6
    return found, extra, lines, runs[0], result.stderr


@pytest.mark.slow
def test_adapters_only_find_every_report(tmp_path: Path) -> None:
    found, extra, lines, run, stderr = crawl(tmp_path, "adapters")
    assert (found, extra) == (31, 0), "\n".join(lines)
    host = next(iter(run["discovery"].values()))
    assert host["reports"] >= 31 and host["suspects"] == 0 and host["rendered"] == 0
    assert {"hanweb", "json-platform", "json-list", "script-file"} <= set(host["adapters"])
    assert "attention" not in stderr


@pytest.mark.slow
def test_browser_only_finds_every_report(tmp_path: Path) -> None:
    reason = chromium_runs()
    if reason:
        pytest.skip(reason)
    found, extra, lines, run, stderr = crawl(tmp_path, "browser")
    assert (found, extra) == (31, 0), "\n".join(lines)
    host = next(iter(run["discovery"].values()))
    assert host["rendered"] >= 4 and host["browser_seconds"] > 0 and "script-file" not in host["adapters"]
    assert "page(s) rendered" in stderr


@pytest.mark.slow
def test_adapters_and_browser_together_find_every_report(tmp_path: Path) -> None:
    reason = chromium_runs()
    if reason:
        pytest.skip(reason)
    found, extra, lines, run, _ = crawl(tmp_path, "both")
    assert (found, extra) == (31, 0), "\n".join(lines)


def test_cookie_challenge_value_read_from_its_script() -> None:
    body = b'<html><head><script>document.cookie = "gk_v=" + "5f3a" + "91c2" + "; path=/"; location.reload();</script>'
    assert solve_cookie_challenge(body) == {"gk_v": "5f3a91c2"}
    jsl = b'<script>document.cookie="__jsl_clearance=1611111111.1|0|x;max-age=3600;path=/";location.href=location.pathname</script>'
    assert solve_cookie_challenge(jsl) == {"__jsl_clearance": "1611111111.1|0|x"}
    computed = b"<script>var x=_0x3f(12);document.cookie='acw_sc__v2='+x;location.reload()</script>"
    assert solve_cookie_challenge(computed) is None  # a computed value: only a browser can pass it


def test_browser_off_says_why(tmp_path: Path) -> None:
    assert browser_availability({"NIANBAO_BROWSER": "off"})[0] is None
    path, message = browser_availability({"NIANBAO_BROWSER_EXECUTABLE": str(tmp_path / "no-chromium")})
    assert path is None and "chromium not found" in message and "no-chromium" in message
    assert find_chromium(str(tmp_path / "no-chromium")) is None


def test_discovery_health_per_host_and_attention() -> None:
    stats = {"nianbao/hosts/a.gov.cn/pages": 40, "nianbao/hosts/a.gov.cn/reports": 8,
             "nianbao/hosts/a.gov.cn/columns": 2, "nianbao/hosts/a.gov.cn/suspects": 1,
             "nianbao/hosts/a.gov.cn/adapter/hanweb": 5, "hosts/a.gov.cn/adapter/hanweb": 1,
             "nianbao/hosts/b.gov.cn/pages": 12, "nianbao/hosts/b.gov.cn/columns": 1,
             "nianbao/hosts/b.gov.cn/suspects": 1, "nianbao/hosts/b.gov.cn/rendered": 2,
             "nianbao/hosts/b.gov.cn/browser_ms": 3000, "nianbao/reports/found": 8}
    health = discovery_health(stats)
    assert health["a.gov.cn"]["pages_per_report"] == 5.0 and health["a.gov.cn"]["adapters"] == {"hanweb": 6}
    assert health["b.gov.cn"]["seconds_per_render"] == 1.5 and health["b.gov.cn"]["reports"] == 0
    lines = attention(health)
    assert lines[0].startswith("a.gov.cn: 1 of 2") and lines[1].startswith("b.gov.cn: no report found")
