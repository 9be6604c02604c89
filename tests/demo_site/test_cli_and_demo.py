"""`nianbao demo-site` serves until interrupted; run_demo compares an export with the truth."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import demo_site
from demo_site.run_demo import compare, nianbao_command
from tests.support.services import free_port


def test_demo_site_command_serves_until_interrupted() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [*nianbao_command(), "demo-site", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # printed once the server answers (blocks, no sleep)
        assert f"http://127.0.0.1:{port}/" in line, line + proc.stderr.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert "云溪区人民政府" in r.read().decode("utf-8")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_nianbao_command_is_next_to_the_interpreter() -> None:
    cmd = nianbao_command()
    assert cmd[0] == str(Path(sys.executable).with_name("nianbao")) or cmd[0] == sys.executable


def test_compare_counts_found_wrong_and_extra_rows() -> None:
    truth = demo_site.truth("http://h")
    by_seed = {r.seed: r for r in truth.reports}
    shangcheng, wuzhong = by_seed["000_2a8c75b2ee657948"], by_seed["001_f0dd27b0915ce796"]
    rows = [
        {"source_url": shangcheng.url, "copies": [shangcheng.url], "agency": shangcheng.agency, "year": 2020},
        # found through a copy (the HTML wrapper of a PDF), with the wrong year
        {
            "source_url": "http://h/elsewhere.html",
            "copies": list(wuzhong.urls),
            "agency": wuzhong.agency,
            "year": 2021,
        },
        {"source_url": "http://h/xwzx/zwdt/202102/t20210205_1393320.html", "copies": [], "title": "新闻"},
    ]
    lines, found, extra = compare(rows, truth)
    assert found == 2 and extra == 1
    assert sum(1 for ln in lines if ln.startswith("  ok ")) == 1
    assert sum(1 for ln in lines if ln.startswith("  BAD")) == 1
    assert sum(1 for ln in lines if ln.startswith("  MISSING")) == len(truth.reports) - 2
