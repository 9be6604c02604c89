"""Shared locations for the extractor tests: the spec and seeds beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
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
