"""`nianbao coverage`: the agency × year ledger shows the demo site's gaps exactly; the package and the
HTML report."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from crawler.cli import app
from demo_site import truth
from storage.config import resolve_storage
from storage.coverage import build_ledger, deadline, is_government
from storage.db import Storage
from storage.models import Report
from tests.support.demo_corpus import BASE, expected_cells, store_demo_corpus

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_deadlines_follow_the_regulations() -> None:
    assert deadline(2018, "某区教育局") == date(2019, 3, 31)  # 2008 条例: 31 March for everyone
    assert deadline(2019, "某区教育局") == date(2020, 1, 31)  # 2019 条例: departments 31 January
    assert deadline(2019, "某区人民政府") == date(2020, 3, 31)  # governments 31 March
    assert deadline(2020, "某区政府") == date(2021, 3, 31)
    assert is_government("某镇人民政府") and not is_government("某区人民政府办公室")


def test_coverage_shows_the_demo_sites_gaps_exactly(tmp_path: Path) -> None:
    storage = Storage(resolve_storage(None, tmp_path))
    store_demo_corpus(storage)
    with storage.session() as session:
        ledger = build_ledger(session)
    got = {(c.agency, c.year): c for c in ledger.cells}
    want = expected_cells()
    assert {k: c.status for k, c in got.items()} == want
    # the gaps put there on purpose (demo_site/data/site.toml, 云溪区财政局)
    assert got[("云溪区财政局", 2018)].status == "missing" and got[("云溪区财政局", 2022)].status == "missing"
    assert got[("云溪区财政局", 2017)].status == "late" and got[("云溪区财政局", 2017)].days_late == 46
    assert got[("云溪区财政局", 2023)].status == "late" and str(got[("云溪区财政局", 2023)].deadline) == "2024-01-31"
    assert got[("云溪区财政局", 2016)].status == "found" and got[("云溪区财政局", 2016)].report_key.startswith("2016-")
    assert all(c.status == "missing" for (a, _y), c in got.items() if a == "云溪区人民政府")  # seed agency only
    # a report taken down: removed, with its date
    with storage.session() as session:
        report = session.scalars(select(Report).where(Report.agency == "云溪区财政局", Report.year == 2016)).one()
        report.removed_at = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    with storage.session() as session:
        cell = next(c for c in build_ledger(session).cells if c.agency == "云溪区财政局" and c.year == 2016)
    assert cell.status == "removed" and cell.removed_at.startswith("2026-11-30")
    storage.dispose()


def test_coverage_command_writes_ledger_html_and_export_writes_a_valid_package(tmp_path: Path) -> None:
    from frictionless import validate

    storage = Storage(resolve_storage(None, tmp_path / "data"))
    store_demo_corpus(storage)
    storage.dispose()
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    result = runner.invoke(app, ["coverage", "--out", str(tmp_path / "ledger.csv"), "--html",
                                 str(tmp_path / "coverage.html"), *data])
    assert result.exit_code == 0, result.output
    assert "late     云溪区财政局 2017" in result.output and "missing" in result.output
    ledger = (tmp_path / "ledger.csv").read_text(encoding="utf-8-sig").splitlines()
    assert ledger[0].startswith("agency,agency_kind,year,status,report_key")
    assert any(line.startswith("云溪区财政局,department,2018,missing") for line in ledger)
    parquet = runner.invoke(app, ["coverage", "--out", str(tmp_path / "ledger.parquet"), *data])
    assert parquet.exit_code == 0, parquet.output
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "ledger.parquet").num_rows == len(ledger) - 1
    html = (tmp_path / "coverage.html").read_text(encoding="utf-8")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched
    assert "<script src" not in html and "<link" not in html
    for fmt in ("csv", "jsonl", "parquet", "dta"):
        out = tmp_path / "export" / f"corpus.{fmt}"
        done = runner.invoke(app, ["export", "--format", fmt, "--out", str(out), *data])
        assert done.exit_code == 0, done.output
    package = json.loads((tmp_path / "export" / "datapackage.json").read_text(encoding="utf-8"))
    assert sorted(r["path"] for r in package["resources"]) == ["corpus.csv", "corpus.dta", "corpus.jsonl",
                                                               "corpus.parquet"]
    report = validate(str(tmp_path / "export" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:5]
    assert (tmp_path / "export" / "codebook.md").read_text(encoding="utf-8").startswith("# nianbao corpus codebook")
    card = (tmp_path / "export" / "README.md").read_text(encoding="utf-8")
    for heading in ("## Provenance", "## Counts", "## Coverage", "## Licence", "## How to cite"):
        assert heading in card
    assert f"reports: {len(truth(BASE).reports)};" in card and "missing:" in card
    # a folder holding someone else's README.md is not clobbered
    mine = tmp_path / "project"
    mine.mkdir()
    (mine / "README.md").write_text("# my project\n", encoding="utf-8")
    refused = runner.invoke(app, ["export", "--format", "csv", "--out", str(mine / "c.csv"), *data])
    assert refused.exit_code == 2 and "README.md" in refused.output and not (mine / "c.csv").exists()
    assert (mine / "README.md").read_text(encoding="utf-8") == "# my project\n"
    assert runner.invoke(app, ["export", "--format", "csv", "--out", str(mine / "c.csv"), "--no-package",
                               *data]).exit_code == 0
    # a broken row is caught by the validation: the package describes the data, it is not decoration
    csv_path = tmp_path / "export" / "corpus.csv"
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines()
    lines[1] = lines[1].replace(",2016,", ",twenty-sixteen,", 1)
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    assert not validate(str(tmp_path / "export" / "datapackage.json")).valid


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (Debian package chromium)")
def test_html_report_renders_its_charts_in_headless_chromium(tmp_path: Path) -> None:
    from PIL import Image

    storage = Storage(resolve_storage(None, tmp_path / "data"))
    store_demo_corpus(storage)
    storage.dispose()
    html = tmp_path / "coverage.html"
    result = CliRunner().invoke(app, ["coverage", "--html", str(html), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", html.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert 'data-charts-rendered="4"' in dom, dom[:500]
    assert "4 of 4 charts drawn" in dom
    png = tmp_path / "coverage.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={png}", "--window-size=1200,1400", html.as_uri()],
                   capture_output=True, timeout=120, check=True)
    image = Image.open(png).convert("RGB")
    colours = {name: image.getcolors(2_000_000) for name in ("all",)}["all"]
    present = {rgb for _count, rgb in colours}
    # the heat map's colours are on the screen: found (green), late (amber), missing (grey)
    for rgb in ((0x2E, 0x7D, 0x32), (0xF9, 0xA8, 0x25), (0xEE, 0xEE, 0xEE)):
        assert rgb in present, rgb
