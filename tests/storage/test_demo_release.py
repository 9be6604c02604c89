"""The demo crawl as a release: every format twice with one schema, report keys through reprocess and a
rebuilt dedup index, and a coverage ledger that shows exactly the site's gaps and late reports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from demo_site.server import serve
from tests.support.crawls import FAST, nianbao
from tests.support.demo_corpus import expected_cells
from tests.support.exports import schema_of

pytestmark = pytest.mark.slow


def _export(data: Path, folder: Path) -> dict[str, Path]:
    paths = {}
    for fmt in ("jsonl", "csv", "parquet", "dta"):
        paths[fmt] = folder / f"corpus.{fmt}"
        nianbao("export", "--format", fmt, "--out", str(paths[fmt]), data_dir=data)
    return paths


def _keys(paths: dict[str, Path]) -> dict[str, str]:
    rows = [json.loads(line) for line in paths["jsonl"].read_text(encoding="utf-8").splitlines()]
    return {row["source_url"]: row["report_key"] for row in rows}


def test_demo_crawl_release_schema_keys_and_coverage(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve() as server:
        seeds = tmp_path / "seeds.csv"
        seeds.write_text(f"url,agency,region\n{server.base_url}/,云溪区人民政府,湖南省岳阳市\n", encoding="utf-8")
        nianbao("crawl", "--seeds", str(seeds), "--job", "release", *FAST, data_dir=data, timeout=900)
    first, second = _export(data, tmp_path / "a"), _export(data, tmp_path / "b")
    assert schema_of(first) == schema_of(second)
    keys = _keys(first)
    rows = [json.loads(line) for line in first["jsonl"].read_text(encoding="utf-8").splitlines()]
    assert all(row["region"] == "湖南省岳阳市" for row in rows)
    assert all(row["title"] and str(row["year"]) in row["title"] for row in rows), [r["title"] for r in rows]
    nianbao("reprocess", "--workers", "0", data_dir=data, timeout=900)
    nianbao("dedup", "--rebuild", data_dir=data)
    after = _export(data, tmp_path / "c")
    assert schema_of(after) == schema_of(first)
    assert _keys(after) == keys
    # coverage: the site's own description says what every cell must be
    nianbao("coverage", "--out", str(tmp_path / "ledger.csv"), data_dir=data)
    with (tmp_path / "ledger.csv").open(encoding="utf-8-sig") as handle:
        got = {(row["agency"], int(row["year"])): row["status"] for row in csv.DictReader(handle)}
    assert got == expected_cells()
