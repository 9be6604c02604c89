"""The five seed reports score 100% with the spec's own scorer, run exactly as shipped."""

from __future__ import annotations

import json
import subprocess
import sys

from extractor import EXTRACTOR_VERSION, extract_report
from tests.support.spec import GOLD, SCORER, SEEDS, require_shared


def test_seeds_score_100_percent_with_the_spec_scorer(tmp_path):
    require_shared()
    seeds = sorted(SEEDS.glob("*.txt"))
    assert len(seeds) >= 5
    args: list[str] = []
    for seed in seeds:
        record = extract_report(seed.read_text(encoding="utf-8"))
        out = tmp_path / f"{seed.stem}.json"
        out.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        args += [str(GOLD / f"{seed.stem}.json"), str(out)]
    result = subprocess.run([sys.executable, str(SCORER), *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(100.0%)" in result.stdout.splitlines()[-1]


def test_seed_records_are_json_and_carry_checks_and_sections():
    require_shared()
    for seed in sorted(SEEDS.glob("*.txt")):
        record = extract_report(seed.read_text(encoding="utf-8"))
        assert json.loads(json.dumps(record)) == record
        assert set(record) >= {"is_report", "agency", "year", "template", "published", "active", "requests",
                               "review_litigation", "legacy", "checks", "sections"}
        assert record["is_report"] is True
        assert isinstance(record["checks"], list)
        assert record["sections"], seed.name
    assert isinstance(EXTRACTOR_VERSION, str) and EXTRACTOR_VERSION


def test_seed_004_reads_only_the_total_column_and_the_review_row_by_position():
    require_shared()
    seed = next(SEEDS.glob("004_*.txt"))
    record = extract_report(seed.read_text(encoding="utf-8"))
    assert record["requests"]["new"] == {"natural_person": None, "commercial": None, "research": None,
                                         "social_welfare": None, "legal_service": None, "other_org": None,
                                         "total": 0}
    assert record["review_litigation"]["litigation_direct"] == {
        "maintained": None, "corrected": None, "other": 2, "pending": None, "total": 2}
    names = {c["name"] for c in record["checks"]}
    assert "review_litigation.litigation_direct" not in names  # blank cells: not evaluable
    assert "requests.balance.natural_person" not in names
    assert {"name": "requests.balance.total", "ok": True,
            "detail": "new + carried_over = 0 == total + carried_forward = 0"} in record["checks"]
