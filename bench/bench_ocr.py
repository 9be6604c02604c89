#!/usr/bin/env python3
"""OCR of scanned reports: field accuracy and seconds per page of each OCR engine at each scan
resolution, on scans rendered from real PDFs.

    .venv/bin/python bench/bench_ocr.py [--dpi 150 200] [--engines rapidocr tesseract] [--seeds 0]

Scans: every page of `../shared/realdocs/files/hongze-2023.pdf` (a real report, WPS export) rendered
by poppler's `pdftoppm -gray -jpeg` at each resolution and wrapped, JPEG bytes as they are, in an
image-only PDF, as a scanner's PDF export is; with `--seeds N`, also the first N seed reports of
`../shared/spec/gold/` drawn as text PDFs and scanned the same way. Everything is made in a temporary
folder and removed. Each scan goes through the whole text path (`extract_pdf`, which OCRs pages with no
text layer) with `NIANBAO_OCR_ENGINE` set to the engine, then the extractor, and the record is scored
with the spec's `score_record.py` against the gold record.

Seconds per page: wall time and CPU time (this process and its children, i.e. the tesseract
processes) of `extract_pdf`, divided by the pages; CPU time is the fairer figure on a shared machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))


def _scorer():
    spec = importlib.util.spec_from_file_location("score_record", SHARED / "spec" / "score_record.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.score


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def sources(seeds: int) -> list[tuple[str, bytes, dict]]:
    """(name, PDF bytes, gold record) of the documents to scan."""
    from demo_site.render import render_report_text
    from tests.support.documents import text_pdf

    out = []
    real = SHARED / "realdocs"
    if (real / "files" / "hongze-2023.pdf").exists():
        gold = json.loads((real / "gold" / "hongze-2023.json").read_text(encoding="utf-8"))
        out.append(("hongze-2023", (real / "files" / "hongze-2023.pdf").read_bytes(), gold))
    for path in sorted((SHARED / "spec" / "gold").glob("*.json"))[:seeds]:
        gold = json.loads(path.read_text(encoding="utf-8"))
        out.append((f"seed:{path.stem}", text_pdf(render_report_text(gold, "tabs")), gold))
    return out


def measure(engine: str, name: str, scan: bytes, gold: dict) -> dict:
    from extractor import extract_report
    from pipelines.text.pdf import extract_pdf

    os.environ["NIANBAO_OCR_ENGINE"] = engine
    cpu, wall = _cpu(), time.perf_counter()
    text = extract_pdf(scan)
    cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    hits, total, misses = _scorer()(gold, extract_report(text.text))
    pages = max(1, text.quality.get("ocr_pages") or text.pages)
    return {"doc": name, "engine": engine, "used": text.extractor, "pages": pages, "hits": hits, "total": total,
            "wall_per_page": wall / pages, "cpu_per_page": cpu / pages, "misses": misses,
            "confidence": text.quality.get("ocr_confidence"), "error": text.error}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dpi", type=int, nargs="+", default=[150, 200])
    ap.add_argument("--engines", nargs="+", default=["rapidocr", "tesseract"])
    ap.add_argument("--seeds", type=int, default=0, help="also scan the first N seed reports")
    ap.add_argument("--misses", action="store_true", help="print the fields each run got wrong")
    ap.add_argument("--json", type=Path, help="write every run's figures to this file")
    args = ap.parse_args()
    from tests.support.documents import jpeg_pdf, pdftoppm_jpegs

    docs = sources(args.seeds)
    if not docs:
        print(f"nothing to scan: {SHARED / 'realdocs'} and --seeds 0")
        return 1
    runs = []
    with tempfile.TemporaryDirectory(prefix="nianbao-scan-") as tmp:
        for dpi in args.dpi:
            scans = [(name, jpeg_pdf(pdftoppm_jpegs(pdf, dpi, tmp), dpi), gold) for name, pdf, gold in docs]
            for engine in args.engines:
                for name, scan, gold in scans:
                    run = measure(engine, name, scan, gold) | {"dpi": dpi}
                    runs.append(run)
                    print(f"{engine:10s} {dpi:4d} dpi  {name:28s} {run['hits']:3d}/{run['total']:3d} fields "
                          f"({100 * run['hits'] / run['total']:5.1f}%)  {run['wall_per_page']:6.1f} s/page wall "
                          f"{run['cpu_per_page']:6.1f} s/page CPU  conf {run['confidence']}  [{run['used']}]"
                          + (f"  error: {run['error']}" if run["error"] else ""), flush=True)
                    if args.misses:
                        for miss in run["misses"]:
                            print("    ", miss)
    print("\nengine × dpi: field accuracy (all documents), seconds per page (mean wall / CPU)")
    for dpi in args.dpi:
        for engine in args.engines:
            sel = [r for r in runs if r["dpi"] == dpi and r["engine"] == engine]
            hits, total = sum(r["hits"] for r in sel), sum(r["total"] for r in sel)
            pages = sum(r["pages"] for r in sel)
            wall = sum(r["wall_per_page"] * r["pages"] for r in sel) / pages
            cpu = sum(r["cpu_per_page"] * r["pages"] for r in sel) / pages
            print(f"| {engine} | {dpi} | {hits}/{total} ({100 * hits / total:.1f}%) | {wall:.1f} | {cpu:.1f} |")
    if args.json:
        args.json.write_text(json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
