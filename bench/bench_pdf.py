#!/usr/bin/env python3
"""PDF text extraction: pages per second of nianbao's PDF pipeline against pdfminer.six's own
`pdf2txt.py`, on the same generated report PDFs in the same run, plus peak memory per worker.

    .venv/bin/python bench/bench_pdf.py [--files 12] [--office 2] [--copies 4] [--workers N]

Corpus: `--files` PDFs drawn by reportlab (CID font STSong-Light, ruled tables, every other one with
its tables split over pages) and, when LibreOffice is installed, `--office` PDFs exported by
LibreOffice from DOCX (embedded TrueType subsets with ToUnicode maps, as Word and WPS write them).

Baselines: `pdf2txt.py` run on every file (the CLI, default layout analysis), and pdfminer's
`extract_text` in-process (same analysis without interpreter start-up). Ours: content streams read by
`pipelines.text.pdf_content`, characters and ruling lines only (no LAParams analysis), rows rebuilt
by `pipelines.text.layout`, one process per core.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_corpus(out: Path, files: int, copies: int, office: int = 0) -> list[Path]:
    """Report PDFs made from the gold records, `copies` reports per file: `files` drawn by reportlab,
    then `office` exported by LibreOffice from DOCX."""
    from extractor.render import render_report_text
    from tests.text.builders import convert_with_soffice, docx_bytes, text_pdf

    gold = sorted((ROOT.parent / "shared" / "spec" / "gold").glob("*.json"))
    texts = [render_report_text(json.loads(g.read_text(encoding="utf-8")), "tabs") for g in gold]
    if not texts:
        raise SystemExit(f"no gold records under {ROOT.parent / 'shared' / 'spec' / 'gold'}")
    prose = "本机关认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政府信息公开工作，不断提升公开质量和实效。" * 6
    paths = []
    for i in range(files):
        parts = [texts[(i + k) % len(texts)] + "\n" + prose for k in range(copies)]
        path = out / f"report_{i:02d}.pdf"
        path.write_bytes(text_pdf("\n".join(parts), rows_per_page=18 if i % 2 else None))
        paths.append(path)
    for i in range(office):
        parts = [texts[(i + k) % len(texts)] + "\n" + prose for k in range(copies)]
        path = out / f"office_{i:02d}.pdf"
        path.write_bytes(convert_with_soffice(docx_bytes("\n".join(parts)), "docx", "pdf"))
        paths.append(path)
    return paths


def page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    n = len(doc)
    doc.close()
    return n


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ours(path: str) -> tuple[int, float, int]:
    from pipelines.text.pdf import extract_pdf

    result = extract_pdf(Path(path).read_bytes(), ocr=False)
    return len(result.text), _peak_rss_mb(), os.getpid()


def pdfminer_inprocess(path: str) -> tuple[int, float, int]:
    from pdfminer.high_level import extract_text

    return len(extract_text(path)), _peak_rss_mb(), os.getpid()


def run_pool(fn, paths: list[Path], workers: int) -> tuple[float, dict[int, float]]:
    start = time.perf_counter()
    peaks: dict[int, float] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for _n, rss, pid in pool.map(fn, [str(p) for p in paths]):
            peaks[pid] = max(peaks.get(pid, 0.0), rss)
    return time.perf_counter() - start, peaks


def run_pdf2txt(paths: list[Path]) -> float:
    exe = Path(sys.executable).parent / "pdf2txt.py"
    if not exe.exists():
        raise SystemExit(f"pdf2txt.py not found next to {sys.executable}")
    start = time.perf_counter()
    for p in paths:
        subprocess.run([sys.executable, str(exe), str(p)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=12)
    ap.add_argument("--office", type=int, default=2, help="PDFs exported by LibreOffice (0 to skip)")
    ap.add_argument("--copies", type=int, default=4, help="reports per PDF file")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_pdf-") as tmp:
        from tests.text.builders import soffice

        office = args.office if soffice() else 0
        if args.office and not office:
            print("LibreOffice is not installed (make deb installs it): no LibreOffice PDFs in the corpus")
        paths = build_corpus(Path(tmp), args.files, args.copies, office)
        pages = sum(page_count(p) for p in paths)
        office_pages = sum(page_count(p) for p in paths if p.name.startswith("office_"))
        print(f"corpus: {len(paths)} PDFs, {pages} pages ({args.files} reportlab PDFs with CID font STSong-Light "
              f"and ruled tables, {pages - office_pages} pages; {office} LibreOffice PDFs from DOCX, "
              f"{office_pages} pages); {os.cpu_count()} CPUs, {args.workers} workers")
        t_cli = run_pdf2txt(paths)
        t_lib, lib_peaks = run_pool(pdfminer_inprocess, paths, 1)
        t_one, one_peaks = run_pool(ours, paths, 1)
        t_par, par_peaks = run_pool(ours, paths, args.workers)
        rows = [
            ("pdfminer pdf2txt.py (CLI, per file)", t_cli, None),
            ("pdfminer extract_text (in-process, 1 proc)", t_lib, lib_peaks),
            ("nianbao extract_pdf (1 process)", t_one, one_peaks),
            (f"nianbao extract_pdf ({args.workers} processes)", t_par, par_peaks),
        ]
        for name, secs, peaks in rows:
            mem = f"  peak RSS/worker {max(peaks.values()):.0f} MiB" if peaks else ""
            print(f"{name:45s} {secs:7.2f} s  {pages / secs:7.1f} pages/s{mem}")
        print(f"speed-up vs pdf2txt.py: {t_cli / t_par:.1f}x parallel, {t_cli / t_one:.1f}x single process; "
              f"vs in-process extract_text: {t_lib / t_par:.1f}x parallel, {t_lib / t_one:.1f}x single")
    return 0


if __name__ == "__main__":
    sys.exit(main())
