"""The spec and seeds beside the repository (../shared), and scoring with the spec's own scorer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared"
SEEDS = SHARED / "seeds"
GOLD = SHARED / "spec" / "gold"
SCORER = SHARED / "spec" / "score_record.py"


def require_shared() -> None:
    """Skip (or fail in CI) when ../shared with the seeds, gold and scorer is absent."""
    if SCORER.is_file() and SEEDS.is_dir() and GOLD.is_dir():
        return
    message = f"shared spec/seeds not found at {SHARED} (expected beside the repository)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def assert_spec_scores_100(golds, extract, folder: Path) -> None:  # noqa: ANN001 - gold paths, path -> record
    """Score `extract(gold)` against every gold with the spec's own scorer, and require 100%."""
    import json
    import subprocess
    import sys

    require_shared()
    args = []
    for gold in golds:
        out = folder / f"{gold.stem}.json"
        out.write_text(json.dumps(extract(gold), ensure_ascii=False), encoding="utf-8")
        args += [str(gold), str(out)]
    result = subprocess.run([sys.executable, str(SCORER), *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout.splitlines()[-1].endswith("(100.0%)")


def fixture_document(gold: Path) -> Path:
    """The document beside a fixture's gold record (same stem, any other suffix)."""
    return next(p for p in gold.parent.glob(gold.stem + ".*") if p.suffix != ".json")


def extract_fixture(path: Path) -> dict:
    """The extractor's record of one fixture document (HTML read as HTML, anything else as text)."""
    from extractor import extract_report

    body = path.read_text(encoding="utf-8")
    return extract_report(html=body) if path.suffix == ".html" else extract_report(body)
