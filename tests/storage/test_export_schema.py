"""Every export has the same columns, in the same order, with the same types, whatever the content;
report keys survive a rebuilt database; the codebook in the repository is the schema's."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.codebook import render_codebook
from storage.config import resolve_storage
from storage.db import Storage
from storage.export import FORMATS, export_rows, flatten, report_key, write_export
from storage.models import Report
from storage.schema import COLUMN_NAMES, COLUMNS
from tests.support.demo_corpus import store_demo_corpus
from tests.support.exports import schema_of

REPO = Path(__file__).resolve().parents[2]
STATA_RESERVED = {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n",
                  "_N", "_pi", "_pred", "_rc", "_skip", "strL", "using", "with"}


def _storage(path: Path) -> Storage:
    return Storage(resolve_storage(None, path))


def _export_all(storage: Storage, out: Path, **kw: bool) -> dict[str, Path]:
    with storage.session() as session:
        rows = list(export_rows(session, **kw))
    paths = {}
    for fmt in FORMATS:
        paths[fmt] = out / f"corpus.{fmt}"
        assert write_export(rows, paths[fmt], fmt) == len(rows)
    return paths


def test_columns_are_unique_and_safe_names_valid_for_stata_and_r() -> None:
    assert len(set(COLUMN_NAMES)) == len(COLUMN_NAMES)
    safe = [c.safe_name for c in COLUMNS]
    assert len(set(safe)) == len(safe)
    for name in safe:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", name), name
        assert name not in STATA_RESERVED
    # every cell of every template's tables is a column
    from extractor.schema import REQUEST_COLUMN_KEYS, REQUEST_ROW_KEYS, empty_active, empty_review

    for template in ("2019", "2021"):
        for row, fields in empty_active(template).items():
            for fld in fields if row != "extra" else ():
                assert f"active.{row}.{fld}" in COLUMN_NAMES
        for row in REQUEST_ROW_KEYS[template]:
            for col in REQUEST_COLUMN_KEYS:
                assert f"requests.{row}.{col}" in COLUMN_NAMES
    for group, fields in empty_review().items():
        for fld in fields:
            assert f"review_litigation.{group}.{fld}" in COLUMN_NAMES


def test_codebook_in_the_repository_is_up_to_date() -> None:
    committed = (REPO / "docs" / "codebook.md").read_text(encoding="utf-8")
    assert committed == render_codebook(), "regenerate: python -m storage.codebook > docs/codebook.md"
    for column in COLUMNS:
        assert f"`{column.name}`" in committed


def test_demo_corpus_exports_twice_with_the_same_schema_and_other_content_too(tmp_path: Path) -> None:
    demo = _storage(tmp_path / "demo")
    store_demo_corpus(demo)
    first = schema_of(_export_all(demo, tmp_path / "a"))
    second = schema_of(_export_all(demo, tmp_path / "b"))
    assert first == second
    assert list(first["csv"]) == list(COLUMN_NAMES)
    assert first["jsonl"] == {tuple(COLUMN_NAMES)}
    assert [name for name, _ in first["parquet"]] == list(COLUMN_NAMES)
    assert [label for _name, label in first["dta"]] == list(COLUMN_NAMES)
    assert dict(first["parquet"])["copies"] == "list<element: string>"
    assert dict(first["parquet"])["fetched_at"] == "timestamp[us, tz=UTC]"
    assert dict(first["parquet"])["published"] == "date32[day]"
    assert b"description" in first["parquet_meta"]["requests.new.total"]
    assert "三、收到和处理政府信息公开申请情况" in first["parquet_meta"]["requests.new.total"][b"label_zh"].decode()
    assert first["jsonl_types"]["copies"] == ["list"] and first["jsonl_types"]["checks"] == ["list"]
    # another corpus, different content (one agency, pre-2019 only reports, one removed): same schema
    other = _storage(tmp_path / "other")
    store_demo_corpus(other, only={"殷都区卫健委"}, region="河南省安阳市")
    with other.session() as session:
        session.scalars(select(Report)).first().removed_at = datetime(2026, 11, 20, tzinfo=UTC)
    third = schema_of(_export_all(other, tmp_path / "c", include_removed=True))
    for key in ("csv", "jsonl", "parquet", "parquet_meta", "dta", "dta_types"):
        assert third[key] == first[key], key
    json_types = {"string": {"str"}, "integer": {"int"}, "number": {"int", "float"}, "boolean": {"bool"},
                  "date": {"str"}, "datetime": {"str"}, "list": {"list"}, "json": {"list"}}
    for found in (first, third):
        for column in COLUMNS:
            assert set(found["jsonl_types"].get(column.name, [])) <= json_types[column.type], column.name
    demo.dispose()
    other.dispose()


def test_rows_carry_title_removed_at_quality_checks_and_region(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    store_demo_corpus(storage, only={"殷都区卫健委", "云溪区财政局"}, region="云南省")
    with storage.session() as session:
        report = session.scalars(select(Report).where(Report.year == 2016)).first()
        report.removed_at = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
        report.record = {**report.record, "checks": [{"name": "requests.balance.total", "ok": False, "detail": "x"}]}
        rows = {r["source_url"]: flatten(r) for r in export_rows(session, include_removed=True)}
        assert len(list(export_rows(session))) == len(rows) - 1
    by_year = {(r["agency"], r["year"]): r for r in rows.values()}
    removed = by_year[("云溪区财政局", 2016)]
    assert removed["removed_at"] == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert removed["checks_failed"] == 1 and removed["failed_checks"] == ["requests.balance.total"]
    assert removed["checks_total"] == 1
    yindu = by_year[("殷都区卫健委", 2018)]
    assert yindu["title"] == "殷都区卫健委2018年政府信息公开工作年度报告"
    assert yindu["region"] == "云南省" and yindu["county_code"] == "410505" and yindu["city"] == "安阳市"
    assert yindu["region_basis"] == "agency" and yindu["ocr_pages"] == 0 and yindu["pages"] == 1
    assert all(r["fetched_at"].tzinfo is not None for r in rows.values())
    storage.dispose()


def test_report_key_survives_a_rebuilt_database_and_other_ids(tmp_path: Path) -> None:
    keys = []
    for name, reverse in (("a", False), ("b", True)):
        storage = _storage(tmp_path / name)
        store_demo_corpus(storage, reverse=reverse)
        with storage.session() as session:
            rows = list(export_rows(session))
        keys.append({r["source_url"]: (r["report_key"], r["report_id"]) for r in rows})
        storage.dispose()
    assert {u: k for u, (k, _) in keys[0].items()} == {u: k for u, (k, _) in keys[1].items()}
    assert any(keys[0][u][1] != keys[1][u][1] for u in keys[0])  # the database ids did change
    assert len({k for k, _ in keys[0].values()}) == len(keys[0])


def test_report_key_is_from_normalised_agency_year_and_version() -> None:
    assert report_key("区卫健委", 2020, 1, "ab" * 32) == report_key("区卫生健康委员会", 2020, None, "cd" * 32)
    assert report_key("区卫健委", 2020, 2, "ab" * 32) != report_key("区卫健委", 2020, 1, "ab" * 32)
    assert report_key(None, 2020, 1, "ab" * 32) == "x-" + "ab" * 8


def test_safe_names_csv_and_stata_labels(tmp_path: Path) -> None:
    import pandas as pd

    storage = _storage(tmp_path)
    store_demo_corpus(storage, only={"云溪区财政局"})
    with storage.session() as session:
        rows = list(export_rows(session))
    write_export(rows, tmp_path / "safe.csv", "csv", safe_names=True)
    frame = pd.read_csv(tmp_path / "safe.csv", encoding="utf-8-sig")
    assert list(frame.columns) == [c.safe_name for c in COLUMNS]
    assert "rq_new_nat" in frame.columns
    write_export(rows, tmp_path / "c.dta", "dta")
    assert b"<release>118</release>" in (tmp_path / "c.dta").read_bytes()[:200]
    with pd.io.stata.StataReader(tmp_path / "c.dta") as reader:
        labels = reader.variable_labels()
        data = reader.read()
    assert labels["rq_new_nat"] == "requests.new.natural_person"
    assert sorted(data["year"].dropna().astype(int)) == sorted(r["year"] for r in rows)
    assert str(data["fetched_at"].dtype).startswith("datetime64")
    storage.dispose()


@pytest.mark.parametrize("fmt", ["xlsx", "warc"])
def test_unknown_row_format_is_refused(tmp_path: Path, fmt: str) -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        write_export([], tmp_path / "x", fmt)


def test_report_title_drops_a_file_extension_and_falls_back_to_another_copy() -> None:
    from storage.export import report_title

    assert report_title(["某局2020年政府信息公开工作年度报告.PDF"]) == "某局2020年政府信息公开工作年度报告"
    assert report_title([None, "  ", "某局2020年年报"]) == "某局2020年年报"
    assert report_title(["2020.pdf版说明"]) == "2020.pdf版说明"
    assert report_title([None]) is None
    assert report_title(["在线预览", "某局2020年政府信息公开年报"], 2020) == "某局2020年政府信息公开年报"
    assert report_title(["附件1", "通知"], 2020) == "附件1"
