#!/usr/bin/env python3
"""PDF text extraction: pages per CPU-second of nianbao's PDF reader against the plain-text limit
(pypdfium2's `get_text_range`, poppler's `pdftotext -layout`), nianbao's previous pdfminer reader and
pdfminer.six itself, on generated report PDFs and on the real PDFs in `../shared/realdocs/files/`, all
in the same run, plus peak memory per worker.

    .venv/bin/python bench/bench_pdf.py [--files 12] [--office 2] [--copies 4] [--workers N]
                                        [--repeat 3] [--real-loops 5] [--quick] [--baseline-checkout DIR]

Corpus: `--files` PDFs drawn by reportlab (CID font STSong-Light, ruled tables, every other one with
its tables split over pages) and, when LibreOffice is installed, `--office` PDFs exported by
LibreOffice from DOCX (embedded TrueType subsets with ToUnicode maps, as Word and WPS write them).
Real: every `*.pdf` under `../shared/realdocs/files/` (WPS and Word exports), each read
`--real-loops` times so that the figure is not start-up noise.

Each single-process reader runs in a fresh worker process, `--repeat` times, and is timed by that
process's CPU time (`time.process_time`; `pdftotext` by its children's CPU time), so that other load
on the machine costs as little as possible; the table gives the best and the median run and the ratio
to nianbao's reader measured in the same run. Readers:
- `pypdfium2 plain text`: page, text page, `get_text_range` (no positions, no rows): the limit.
- `pdftotext -layout`: a process per file.
- `nianbao extract_pdf`: characters and ruling lines from pdfium (`pipelines.text.pdf_chars`), rows
  and cells rebuilt by `pipelines.text.layout`, pdfminer only for pages pdfium cannot map.
- `nianbao, pdfminer reader`: the same with pdfium switched off, so every page goes through pdfminer's
  interpreter with `pipelines.text.pdf_content`'s stream reader (the reader before pdfium).
- `pdfminer extract_text`: pdfminer.six's own layout analysis, in-process.
- with `--baseline-checkout DIR` (another checkout of nianbao, e.g. a `git worktree` of main):
  that checkout's `extract_pdf`, so that a change to the reader is measured before and after in
  the same run.

Each table ends with the goal of issue 18: nianbao within 2x of pypdfium2's plain text, and at
least 150 pages per CPU-second on one core.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REALDOCS = ROOT.parent / "shared" / "realdocs" / "files"
sys.path.insert(0, str(ROOT))


def build_corpus(out: Path, files: int, copies: int, office: int = 0) -> list[Path]:
    """Report PDFs made from the gold records, `copies` reports per file: `files` drawn by reportlab,
    then `office` exported by LibreOffice from DOCX."""
    from demo_site.render import render_report_text
    from tests.support.documents import convert_with_soffice, docx_bytes, text_pdf

    gold = sorted((ROOT.parent / "shared" / "spec" / "gold").glob("*.json"))
    texts = [render_report_text(json.loads(g.read_text(encoding="utf-8")), "tabs") for g in gold]
    if not texts:
        raise SystemExit(f"no gold records under {ROOT.parent / 'shared' / 'spec' / 'gold'}")
    prose = (
        "本机关认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政府信息公开工作，不断提升公开质量和实效。"
        * 6
    )
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


def _cpu_run(fn, paths: list[str], loops: int) -> tuple[float, float, int]:
    """`fn` over `paths`, `loops` times, in this worker: CPU seconds, peak RSS, characters out."""
    import gc

    fn(paths[0])  # imports and first-use caches are start-up, not reading
    gc.collect()
    chars = 0
    start = time.process_time()
    for _ in range(loops):
        for path in paths:
            chars += fn(path)
    return time.process_time() - start, _peak_rss_mb(), chars


def read_ours(path: str) -> int:
    from pipelines.text.pdf import extract_pdf

    return len(extract_pdf(Path(path).read_bytes(), ocr=False).text)


def read_pdfminer_reader(path: str) -> int:
    """nianbao's extract_pdf with pdfium switched off: every page by pdfminer (the previous reader)."""
    import pipelines.text.pdf as pdf

    pdf._open_pdfium = lambda body, errors: None
    return len(pdf.extract_pdf(Path(path).read_bytes(), ocr=False).text)


def read_pdfium_plain(path: str) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(Path(path).read_bytes())
    n = 0
    for i in range(len(doc)):
        page = doc[i]
        textpage = page.get_textpage()
        n += len(textpage.get_text_range())
        textpage.close()
        page.close()
    doc.close()
    return n


def read_pdfminer_extract_text(path: str) -> int:
    from pdfminer.high_level import extract_text

    return len(extract_text(path))


def _cpu_run_at(checkout: str, paths: list[str], loops: int) -> tuple[float, float, int]:
    """`_cpu_run` of `extract_pdf` as another checkout has it (in a fresh spawned worker, so that
    its `pipelines` is the first imported)."""
    sys.path.insert(0, checkout)
    from pipelines.text.pdf import extract_pdf

    def read(path: str) -> int:
        return len(extract_pdf(Path(path).read_bytes(), ocr=False).text)

    return _cpu_run(read, paths, loops)


def ours(path: str) -> tuple[int, float, int]:
    from pipelines.text.pdf import extract_pdf

    result = extract_pdf(Path(path).read_bytes(), ocr=False)
    return len(result.text), _peak_rss_mb(), os.getpid()


def run_single(fn, paths: list[Path], loops: int) -> tuple[float, float]:
    """CPU seconds and peak RSS of `fn` over the corpus in a fresh worker process (`fn` a checkout's
    path: that checkout's `extract_pdf`)."""
    if isinstance(fn, str):
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            secs, rss, _chars = pool.submit(_cpu_run_at, fn, [str(p) for p in paths], loops).result()
    else:
        with ProcessPoolExecutor(max_workers=1) as pool:
            secs, rss, _chars = pool.submit(_cpu_run, fn, [str(p) for p in paths], loops).result()
    return secs, rss


def run_pdftotext(paths: list[Path], loops: int) -> float | None:
    """Children's CPU seconds of `pdftotext -layout`, one process per file."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(loops):
        for p in paths:
            subprocess.run(
                [exe, "-layout", "-enc", "UTF-8", str(p), "-"],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_pool(fn, paths: list[Path], workers: int) -> tuple[float, dict[int, float]]:
    start = time.perf_counter()
    peaks: dict[int, float] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for _n, rss, pid in pool.map(fn, [str(p) for p in paths]):
            peaks[pid] = max(peaks.get(pid, 0.0), rss)
    return time.perf_counter() - start, peaks


READERS = [
    ("pypdfium2 plain text (the limit)", read_pdfium_plain),
    ("pdftotext -layout (a process per file)", None),
    ("nianbao extract_pdf (pdfium reader)", read_ours),
    ("nianbao, pdfminer reader (before)", read_pdfminer_reader),
    ("pdfminer extract_text (in-process)", read_pdfminer_extract_text),
]
OURS = "nianbao extract_pdf (pdfium reader)"
LIMIT = "pypdfium2 plain text (the limit)"
GOAL_RATIO, GOAL_PAGES = 2.0, 150.0  # issue 18: within 2x of pdfium's plain text, >= 150 pages/s per core


def compare(
    title: str,
    paths: list[Path],
    loops: int,
    repeat: int,
    skip: set[str],
    readers: list[tuple[str, object]] = READERS,
) -> dict[str, list[float]]:
    """Every reader `repeat` times over `paths` (each file `loops` times), interleaved so that load
    on the machine falls on all of them alike; prints pages per CPU-second, ratios and the goal."""
    pages = sum(page_count(p) for p in paths) * loops
    runs: dict[str, list[float]] = {name: [] for name, _fn in readers if name not in skip}
    peaks: dict[str, float] = {}
    for _ in range(repeat):
        for name, fn in readers:
            if name in skip:
                continue
            if fn is None:
                secs = run_pdftotext(paths, loops)
                if secs is None:
                    runs.pop(name, None)
                    continue
            else:
                secs, rss = run_single(fn, paths, loops)
                peaks[name] = max(peaks.get(name, 0.0), rss)
            runs[name].append(pages / secs)
    print(
        f"\n{title}: {pages} pages per run ({len(paths)} PDFs x {loops}), {repeat} runs, pages per CPU-second"
    )
    ours_runs = runs[OURS]
    for name, rates in runs.items():
        best, med = max(rates), statistics.median(rates)
        ratio = statistics.median(r / o for r, o in zip(rates, ours_runs, strict=True))
        mem = f"  peak RSS {peaks[name]:.0f} MiB" if name in peaks else ""
        print(f"  {name:42s} best {best:7.1f}  median {med:7.1f}  {ratio:5.2f}x nianbao{mem}")
    if LIMIT in runs:
        slower = statistics.median(r / o for r, o in zip(runs[LIMIT], ours_runs, strict=True))
        ours_med = statistics.median(ours_runs)
        met = "met" if slower <= GOAL_RATIO and ours_med >= GOAL_PAGES else "not met"
        print(
            f"  goal (issue 18): within {GOAL_RATIO:g}x of plain text and >= {GOAL_PAGES:g} pages/CPU-s: "
            f"{slower:.2f}x, {ours_med:.0f} pages/CPU-s, {met}"
        )
    return runs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--files", type=int, default=12)
    ap.add_argument("--office", type=int, default=2, help="PDFs exported by LibreOffice (0 to skip)")
    ap.add_argument("--copies", type=int, default=4, help="reports per PDF file")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--real-loops", type=int, default=5, help="times each real PDF is read per run")
    ap.add_argument("--quick", action="store_true", help="1 run, no pdfminer extract_text, no parallel run")
    ap.add_argument(
        "--baseline-checkout",
        type=Path,
        metavar="DIR",
        help="another nianbao checkout whose extract_pdf is timed in the same run (before/after)",
    )
    args = ap.parse_args()
    readers = list(READERS)
    if args.baseline_checkout:
        if not (args.baseline_checkout / "pipelines" / "text" / "pdf.py").is_file():
            raise SystemExit(f"{args.baseline_checkout}: not a nianbao checkout (no pipelines/text/pdf.py)")
        readers.insert(
            3,
            (f"nianbao extract_pdf at {args.baseline_checkout.name}", str(args.baseline_checkout.resolve())),
        )
    repeat = 1 if args.quick else args.repeat
    skip = {"pdfminer extract_text (in-process)"} if args.quick else set()
    with tempfile.TemporaryDirectory(prefix="bench_pdf-") as tmp:
        from tests.support.documents import soffice

        office = args.office if soffice() else 0
        if args.office and not office:
            print("LibreOffice is not installed (make deb installs it): no LibreOffice PDFs in the corpus")
        paths = build_corpus(Path(tmp), args.files, args.copies, office)
        pages = sum(page_count(p) for p in paths)
        office_pages = sum(page_count(p) for p in paths if p.name.startswith("office_"))
        print(
            f"corpus: {len(paths)} PDFs, {pages} pages ({args.files} reportlab PDFs with CID font STSong-Light "
            f"and ruled tables, {pages - office_pages} pages; {office} LibreOffice PDFs from DOCX, "
            f"{office_pages} pages); {os.cpu_count()} CPUs, {args.workers} workers"
        )
        real = sorted(REALDOCS.glob("*.pdf"))
        if real:
            print("real: " + ", ".join(f"{p.name} ({page_count(p)} pages)" for p in real))
            compare("real PDFs (../shared/realdocs/files)", real, args.real_loops, repeat, skip, readers)
        else:
            print(f"real: no PDFs under {REALDOCS} (the shared folder beside the checkout)")
        compare("generated report PDFs", paths, 1, repeat, skip, readers)
        if not args.quick:
            t_one, one_peaks = run_pool(ours, paths, 1)
            t_par, par_peaks = run_pool(ours, paths, args.workers)
            print(
                f"\ngenerated, wall clock: nianbao 1 process {pages / t_one:.1f} pages/s "
                f"(peak RSS {max(one_peaks.values()):.0f} MiB), {args.workers} processes {pages / t_par:.1f} pages/s "
                f"(peak RSS/worker {max(par_peaks.values()):.0f} MiB)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
