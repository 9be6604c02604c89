#!/usr/bin/env python3
"""Whether nianbao's two PDF readers give the same text: pdfium's characters and ruling lines
(`pipelines.text.pdf_chars`, the default) against pdfminer's interpreter (pdfium switched off), on
every PDF corpus at hand. Run it after upgrading pypdfium2 or pdfminer.six.

    .venv/bin/python bench/pdf_readers_agree.py [--quick]

Corpus: the real PDFs in `../shared/realdocs/files/`, the `bench_pdf.py` corpus, every gold record
as a text PDF and as a PDF with tables split over pages, the seeds as the demo site renders them,
and a table over pages turned by /Rotate 90, 180 and 270. Prints each PDF whose text, quality
figures (apart from `pages_by_extractor`) or error differ, with the first differing lines.
Exits 1 when any differ (expected: one float tie on page 18 of the putuo real PDF, see the README).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def corpus(quick: bool) -> Iterator[tuple[str, bytes]]:
    from bench.bench_pdf import REALDOCS, build_corpus
    from tests.support.documents import build_form, soffice, text_pdf, turned_pdf

    for path in sorted(REALDOCS.glob("*.pdf")):
        yield "real/" + path.name, path.read_bytes()
    with tempfile.TemporaryDirectory(prefix="pdf_readers-") as tmp:
        for path in build_corpus(Path(tmp), 4 if quick else 12, 4, 0 if quick or not soffice() else 2):
            yield "bench/" + path.name, path.read_bytes()
    for gold in sorted((ROOT.parent / "shared" / "spec" / "gold").glob("*.json")):
        record = json.loads(gold.read_text(encoding="utf-8"))
        for form in ("pdf_text", "pdf_split_table"):
            for body, _url, _ct in build_form(record, form):
                yield f"gold/{gold.stem}/{form}", body
    from demo_site.pdf import render_report_pdf
    from demo_site.seeds import load_seed, seed_ids

    for seed_id in seed_ids():
        seed = load_seed(seed_id)
        yield f"seed/{seed_id}", render_report_pdf(seed.gold, seed.prose, "标题", seed.headings)
    from tests.support.documents import TABLE

    upright = text_pdf(TABLE, rows_per_page=9, header="某某区人民政府信息公开")
    yield "table/upright", upright
    for rotation in (90, 180, 270):
        yield f"table/rotate{rotation}", turned_pdf(upright, rotation)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 bench PDFs, no LibreOffice ones")
    args = ap.parse_args()
    import pipelines.text.pdf as pdf

    open_pdfium = pdf._open_pdfium
    same = total = 0
    for name, body in corpus(args.quick):
        total += 1
        new = pdf.extract_pdf(body, ocr=False)
        pdf._open_pdfium = lambda body, errors: None  # every page through pdfminer's interpreter
        try:
            old = pdf.extract_pdf(body, ocr=False)
        finally:
            pdf._open_pdfium = open_pdfium
        q_new = {k: v for k, v in new.quality.items() if k != "pages_by_extractor"}
        q_old = {k: v for k, v in old.quality.items() if k != "pages_by_extractor"}
        if new.text == old.text and q_new == q_old and new.error == old.error:
            same += 1
            continue
        print(f"differs: {name}: quality {q_old} / {q_new}, error {old.error!r} / {new.error!r}")
        diff = difflib.unified_diff(old.text.splitlines(), new.text.splitlines(), "pdfminer", "pdfium",
                                    lineterm="", n=0)
        for line in list(diff)[:12]:
            print("   ", line)
    print(f"{same}/{total} PDFs give the same text, quality figures and error with both readers")
    return 0 if same == total else 1


if __name__ == "__main__":
    sys.exit(main())
