"""The real documents of ../shared/realdocs, through the path of `nianbao extract FILE` (text layer +
extractor), each scored with the spec's scorer: every one at 100%."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.spec import SCORER, SHARED

REALDOCS = SHARED / "realdocs"
NAMES = (
    "hongze-2023",
    "pingtan-county-2011",
    "pingtan-zone-2022",
    "putuo-finance-2024-final-accounts",
    "blank-2021-template",
)


def _require_realdocs() -> None:
    if (REALDOCS / "files").is_dir() and (REALDOCS / "gold").is_dir() and SCORER.is_file():
        return
    message = f"real documents not found at {REALDOCS} (expected ../shared/realdocs beside the repository)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _document(name: str) -> Path:
    found = sorted(p for p in (REALDOCS / "files").glob(name + ".*"))
    assert found, f"{name}: no file in {REALDOCS / 'files'}"
    return found[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_real_document_scores_100_percent(name, tmp_path):
    _require_realdocs()
    from crawler.cli.extract_cmd import extract_path  # what `nianbao extract FILE` runs

    record = extract_path(_document(name))
    out = tmp_path / f"{name}.json"
    out.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    gold = REALDOCS / "gold" / f"{name}.json"
    result = subprocess.run([sys.executable, str(SCORER), str(gold), str(out)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].endswith("(100.0%)"), result.stdout
