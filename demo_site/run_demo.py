"""`make demo`: serve the demo portal, crawl it, export the corpus and compare it with the site's truth.

    python -m demo_site.run_demo [--data-dir data/demo] [--keep]

Runs the real `nianbao` console script (next to this interpreter) as subprocesses:
crawl, export (jsonl and csv) and status; then prints reports found / expected, how many rows each
report exported as (one is right: a notice page and its PDF are one report), and whether each report's
agency and year came out right. Exits 1 when an expected report is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from demo_site import Truth, truth
from demo_site.server import serve


def nianbao_command() -> list[str]:
    """The `nianbao` console script installed next to this interpreter (python -m fallback)."""
    script = Path(sys.executable).with_name("nianbao")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from crawler.cli import main; main()"]


def run(args: list[str], env: dict[str, str]) -> int:
    cmd = nianbao_command() + args
    print("$ nianbao " + " ".join(args), flush=True)
    return subprocess.run(cmd, env=env, check=False).returncode


def read_corpus(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def report_rows(rows: list[dict[str, Any]], expected: Truth) -> list[list[int]]:
    """For each expected report, the indices of the exported rows carrying one of its URLs."""
    return [
        [i for i, row in enumerate(rows) if set(report.urls) & ({row.get("source_url")} | set(row.get("copies") or []))]
        for report in expected.reports
    ]


def compare(rows: list[dict[str, Any]], expected: Truth) -> tuple[list[str], int, int]:
    """Summary lines, number of expected reports found, and number of exported rows that are not reports."""
    lines: list[str] = []
    found = 0
    used: set[int] = set()
    for report, hits in zip(expected.reports, report_rows(rows, expected), strict=True):
        used.update(hits)
        if not hits:
            lines.append(f"  MISSING  {report.agency} {report.year}  {report.url}")
            continue
        found += 1
        row = rows[hits[0]]
        agency_ok = row.get("agency") == report.agency
        year_ok = row.get("year") == report.year
        mark = "ok " if agency_ok and year_ok else "BAD"
        dup = f" ({len(hits)} rows)" if len(hits) > 1 else ""
        lines.append(
            f"  {mark}      {report.agency} {report.year} {report.template}"
            f" | got agency={row.get('agency')!r} year={row.get('year')!r}"
            f" template={row.get('template')!r}{dup}  {row.get('source_url')}"
        )
    extra = [row for i, row in enumerate(rows) if i not in used]
    for row in extra:
        lines.append(f"  EXTRA    not a report on this site: {row.get('title')!r} {row.get('source_url')}")
    return lines, found, len(extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="data/demo", help="corpus folder (default data/demo)")
    parser.add_argument("--keep", action="store_true", help="keep an existing corpus (default: start fresh)")
    opts = parser.parse_args(argv)

    data_dir = Path(opts.data_dir)
    if data_dir.exists() and not opts.keep:
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "NIANBAO_DATA_DIR": str(data_dir)}
    env.pop("NIANBAO_DATABASE_URL", None)  # the demo corpus is the SQLite file in data_dir

    codes: dict[str, int] = {}
    with serve() as server:
        print(f"demo site serving at {server.base_url}/", flush=True)
        codes["crawl"] = run(
            ["crawl", f"{server.base_url}/", "--data-dir", str(data_dir), "--job", "demo",
             "-s", "NIANBAO_ALLOW_PRIVATE=127.0.0.0/8"], env  # the demo site is on loopback
        )
        print(
            f"demo site answered {len(server.requests)} requests; at most {server.max_in_flight} at once",
            flush=True,
        )
        expected = truth(server.base_url)
    jsonl, csv_path = data_dir / "corpus.jsonl", data_dir / "corpus.csv"
    codes["export jsonl"] = run(
        ["export", "--format", "jsonl", "--out", str(jsonl), "--data-dir", str(data_dir)], env
    )
    codes["export csv"] = run(
        ["export", "--format", "csv", "--out", str(csv_path), "--data-dir", str(data_dir)], env
    )
    codes["status"] = run(["status", "--data-dir", str(data_dir)], env)

    rows = read_corpus(jsonl)
    lines, found, extra = compare(rows, expected)
    right = sum(1 for line in lines if line.startswith("  ok "))
    per_report = [len(hits) for hits in report_rows(rows, expected)]
    split = sum(1 for n in per_report if n > 1)
    print()
    print(
        f"== demo summary: {found}/{len(expected.reports)} reports found, "
        f"{right}/{len(expected.reports)} with agency and year right, {extra} extra row(s); "
        f"{len(rows)} row(s) exported, {per_report.count(1)} report(s) as exactly one row, "
        f"{split} report(s) split over several rows"
    )
    print("\n".join(lines))
    failed = {name: code for name, code in codes.items() if code != 0}
    if failed:
        print(f"commands that failed: {failed}")
    print(f"corpus: {jsonl} and {csv_path}")
    return 0 if found == len(expected.reports) and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
