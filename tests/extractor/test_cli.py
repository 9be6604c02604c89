"""`nianbao extract`: JSON records on stdout, warnings and errors naming the file on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from demo_site.render import render_report_html, render_report_text
from tests.support.records import make_record

NIANBAO = Path(sys.executable).with_name("nianbao")


def run(*args: str) -> subprocess.CompletedProcess:
    if not NIANBAO.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    return subprocess.run([str(NIANBAO), "extract", *args], capture_output=True, text=True, timeout=120, check=False)


def test_several_inputs_give_json_lines_in_input_order(tmp_path):
    first = make_record("2019", seed=1)
    second = make_record("2021", seed=2)
    a = tmp_path / "a.txt"
    a.write_bytes(render_report_text(first, "tabs").encode("gb18030"))
    b = tmp_path / "b.html"
    b.write_text(render_report_html(second), encoding="utf-8")
    result = run(str(a), str(b))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    got = [json.loads(line) for line in lines]
    assert got[0]["template"] == "2019" and got[0]["requests"] == first["requests"]
    assert got[1]["template"] == "2021" and got[1]["active"] == second["active"]
    assert got[0]["agency"] == first["agency"]


def test_missing_file_is_named_on_stderr_others_still_processed_exit_1(tmp_path):
    good = tmp_path / "good.md"
    good.write_text(render_report_text(make_record("2019", seed=3), "markdown"), encoding="utf-8")
    missing = tmp_path / "nope.txt"
    result = run(str(missing), str(good))
    assert result.returncode == 1
    assert str(missing) in result.stderr and "error" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert json.loads(result.stdout)["is_report"] is True


def test_not_a_report_warns_and_prints_unknown_record(tmp_path):
    page = tmp_path / "gov.txt"
    page.write_text("2021年政府工作报告\n\n各位代表：现在，我代表市人民政府，向大会报告政府工作。\n", encoding="utf-8")
    result = run(str(page))
    assert result.returncode == 0
    record = json.loads(result.stdout)
    assert record["is_report"] is False and record["template"] == "unknown"
    assert record["requests"] is None and record["active"] is None
    assert "warning" in result.stderr and str(page) in result.stderr


def test_single_input_prints_one_json_document(tmp_path):
    path = tmp_path / "r.htm"
    path.write_text(render_report_html(make_record("pre2019", seed=4)), encoding="utf-8")
    result = run(str(path))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["template"] == "pre2019" and record["legacy"]


def test_unreadable_binary_names_the_file(tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 not really a pdf")
    result = run(str(bad))
    assert result.returncode == 1
    assert str(bad) in result.stderr
