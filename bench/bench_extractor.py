"""Benchmark the report extractor: reports per second on one core, against a baseline in the same run.

    python bench/bench_extractor.py [--docs 2000] [--require 300]

Corpus: the five seeds (if ../shared is beside the repository), the fixture corpus, and generated
reports (random records of every template rendered in every text style and as HTML) up to --docs.
Baseline: the cost of just reading the text (normalising and splitting it into rows), measured on
the same documents in the same process. Each figure is per CPU-second of the one thread doing the
work, the best of three passes after a short warm-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo_site.render import TEXT_STYLES, render_report_html, render_report_text  # noqa: E402
from extractor import EXTRACTOR_VERSION, extract_report  # noqa: E402
from extractor.tables import document_from_html, document_from_text  # noqa: E402
from tests.support.records import make_record  # noqa: E402


def corpus(n_docs: int) -> list[tuple[str, str]]:
    """(kind, body) pairs: kind 'text' or 'html'."""
    docs: list[tuple[str, str]] = []
    seeds = ROOT.parent / "shared" / "seeds"
    for path in sorted(seeds.glob("*.txt")) if seeds.is_dir() else []:
        docs.append(("text", path.read_text(encoding="utf-8")))
    for path in sorted((ROOT / "tests" / "fixtures" / "reports").glob("*")):
        if path.suffix in (".txt", ".md"):
            docs.append(("text", path.read_text(encoding="utf-8")))
        elif path.suffix == ".html":
            docs.append(("html", path.read_text(encoding="utf-8")))
    styles = (*TEXT_STYLES, "html")
    i = 0
    while len(docs) < n_docs:
        template = ("2019", "2021", "pre2019", "2021")[i % 4]
        record = make_record(template, seed=10_000 + i, nulls=0.1 if i % 5 == 0 else 0.0)
        style = styles[i % len(styles)]
        if style == "html":
            docs.append(("html", render_report_html(record)))
        else:
            docs.append(("text", render_report_text(record, style)))
        i += 1
    return docs[:n_docs]


def _read_only(kind: str, body: str) -> None:
    if kind == "html":
        document_from_html(body)
    else:
        document_from_text(body)


def _extract(kind: str, body: str) -> None:
    if kind == "html":
        extract_report(html=body)
    else:
        extract_report(body)


def rate(fn, docs: list[tuple[str, str]], repeats: int = 3) -> float:
    """Documents per CPU-second of this thread: the best of `repeats` passes. CPU time, not wall
    time, so that other processes on a shared machine do not count against the extractor."""
    for kind, body in docs[:50]:
        fn(kind, body)
    best = float("inf")
    for _ in range(repeats):
        start = time.thread_time()
        for kind, body in docs:
            fn(kind, body)
        best = min(best, time.thread_time() - start)
    return len(docs) / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000, help="number of documents (default 2000)")
    parser.add_argument("--require", type=float, default=None, help="exit 1 below this many reports/s")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    docs = corpus(args.docs)
    chars = sum(len(body) for _, body in docs)
    baseline = rate(_read_only, docs)
    full = rate(_extract, docs)
    html_share = sum(1 for kind, _ in docs if kind == "html") / len(docs)
    print(f"extractor {EXTRACTOR_VERSION}: {len(docs)} documents, {chars / len(docs):.0f} chars avg, "
          f"{html_share:.0%} HTML, one core")
    print(f"baseline (normalise + split into rows): {baseline:,.0f} docs/s")
    print(f"extract_report:                         {full:,.0f} reports/s "
          f"({full / baseline:.2f} x baseline, {1000 / full:.2f} ms/report)")
    if args.require is not None and full < args.require:
        print(f"below the required {args.require:,.0f} reports/s")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
