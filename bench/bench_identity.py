"""Report-or-not and agency accuracy on body-only pages (no title, no page context).

    python bench/bench_identity.py [--verbose]

Reads tests/fixtures/realworld/body/*.txt with expected.json (is_report, agency) and prints the share
of documents judged right (report vs not) and the share of reports whose agency is exactly right.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BODY = ROOT / "tests" / "fixtures" / "realworld" / "body"


def measure(verbose: bool = False) -> dict[str, float]:
    from extractor import extract_report

    expected = json.loads((BODY / "expected.json").read_text(encoding="utf-8"))
    right = agency_right = reports = 0
    for name, want in sorted(expected.items()):
        record = extract_report((BODY / f"{name}.txt").read_text(encoding="utf-8"))
        ok = record["is_report"] == want["is_report"]
        right += ok
        if want["is_report"]:
            reports += 1
            agency_ok = record["agency"] == want["agency"]
            agency_right += agency_ok
        else:
            agency_ok = True
        if verbose and not (ok and agency_ok):
            print(f"  {name}: is_report={record['is_report']} (want {want['is_report']}) "
                  f"agency={record['agency']!r} (want {want['agency']!r}) evidence={record.get('is_report_evidence')}")
    return {"documents": len(expected), "report_accuracy": right / len(expected),
            "reports": reports, "agency_accuracy": agency_right / reports}


if __name__ == "__main__":
    result = measure("--verbose" in sys.argv)
    print(f"documents {result['documents']}: report-vs-not {100 * result['report_accuracy']:.1f}%; "
          f"agency on {result['reports']} reports {100 * result['agency_accuracy']:.1f}%")
