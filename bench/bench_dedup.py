"""Benchmark of the deduplicator on synthetic report-like corpora, beside a pairwise baseline.

    python bench/bench_dedup.py                      # 10k, 100k, 1M documents, pairwise at 1k, 5k, 20k
    python bench/bench_dedup.py --quick              # 10k only, pairwise at 1k
    python bench/bench_dedup.py --sizes 10k,100k --baseline-sizes 1k,2k,5k

Each size runs in its own subprocess, so its peak memory (ru_maxrss) is its own. The corpus: agencies
(city x district x department) whose reports share their department's boilerplate within a city,
one report per agency and year, plus PDF-damaged copies, byte-identical mirrors, DOCX-like copies and
revised editions. The ground truth gives a quality line: true reports split over clusters, clusters
merging several true reports, revisions found as a second version.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from dedup import DedupDocument, Deduplicator  # noqa: E402

DEPARTMENTS = [
    "卫生健康局",
    "教育局",
    "财政局",
    "民政局",
    "司法局",
    "公安分局",
    "自然资源和规划局",
    "住房和城乡建设局",
    "交通运输局",
    "农业农村局",
    "水利局",
    "商务局",
    "文化和旅游局",
    "市场监督管理局",
    "应急管理局",
    "统计局",
    "审计局",
    "医疗保障局",
    "退役军人事务局",
    "人力资源和社会保障局",
    "生态环境分局",
    "人民政府办公室",
]
YEARS = list(range(2014, 2025))
LABELS = ["规章", "规范性文件", "行政许可", "行政处罚", "行政强制", "行政事业性收费", "政府集中采购"]
REQ_ROWS = ["new", "carried_over", "granted", "partly_granted", "unable_not_held", "total", "carried_forward"]
REQ_LABELS = [
    "一、本年新收政府信息公开申请数量",
    "二、上年结转政府信息公开申请数量",
    "（一）予以公开",
    "（二）部分公开",
    "1.本机关不掌握相关政府信息",
    "（七）总计",
    "四、结转下年度继续办理",
]
COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total"]


def parse_size(s: str) -> int:
    s = s.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(s[-1], 1)
    return int(float(s[:-1] if s[-1] in "km" else s) * mult)


class Corpus:
    """Deterministic synthetic corpus; `docs(n)` yields n documents and records the ground truth."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        cjk = [chr(c) for c in range(0x4E00, 0x4E00 + 3500)]
        self.words = ["".join(self.rng.choices(cjk, k=self.rng.choice((2, 2, 3, 4)))) for _ in range(6000)]
        self.families: dict[tuple[int, int], list[str]] = {}
        self.truth_report: list[int] = []
        self.truth_revision: list[bool] = []

    def sentence(self, rng: random.Random, n: int = 12) -> str:
        w = self.words
        return (
            "".join(
                w[
                    min(int(rng.paretovariate(1.1)) - 1, len(w) - 1)
                    if rng.random() < 0.3
                    else rng.randrange(len(w))
                ]
                for _ in range(n)
            )
            + "。"
        )

    def family(self, city: int, dept: int) -> list[str]:
        fam = self.families.get((city, dept))
        if fam is None:
            rng = random.Random(city * 1000 + dept)
            fam = self.families[(city, dept)] = [self.sentence(rng) for _ in range(36)]
        return fam

    def report(self, agency: str, city: int, dept: int, agency_rng_seed: int, year: int, rng: random.Random):
        fam = self.family(city, dept)
        own = random.Random(agency_rng_seed)
        agency_sentences = [self.sentence(own) for _ in range(6)]  # the agency's own words, kept year to year
        nums = {lab: (rng.randrange(0, 50), rng.randrange(-5, 6), rng.randrange(0, 5000)) for lab in LABELS}
        req = {row: [rng.randrange(0, 20) if rng.random() < 0.4 else 0 for _ in range(6)] for row in REQ_ROWS}
        for row in req.values():
            row.append(sum(row))
        parts = [f"{agency}{year}年政府信息公开工作年度报告", f"{year}年,{agency}" + fam[0], "一、总体情况"]
        parts += fam[1:12] + agency_sentences[:3] + [self.sentence(rng) for _ in range(3)] + fam[12:20]
        parts.append(f"全年主动公开政府信息共{nums['行政许可'][2] + nums['行政处罚'][2]}条。")
        parts.append("二、主动公开政府信息情况")
        for lab in LABELS:
            parts += [lab, *map(str, nums[lab])]
        parts.append("三、收到和处理政府信息公开申请情况")
        for row, lab in zip(REQ_ROWS, REQ_LABELS, strict=True):
            parts += [lab, *map(str, req[row])]
        parts += (
            fam[20:30]
            + agency_sentences[3:]
            + fam[30:]
            + [agency, f"{year + 1}年1月{rng.randrange(1, 29)}日"]
        )
        stats = {
            "active": {
                lab: {"prev_items": a, "change": b, "decisions": c} for lab, (a, b, c) in nums.items()
            },
            "requests": {row: dict(zip(COLS, vals, strict=True)) for row, vals in req.items()},
            "review_litigation": None,
            "legacy": None,
        }
        return "\n".join(parts), stats

    @staticmethod
    def pdf_like(text: str, title: str) -> str:
        lines = [text[i : i + 23] for i in range(0, len(text), 23)]
        pages = [
            "\n".join([title, *lines[i : i + 40], f"- {i // 40 + 1} -"]) for i in range(0, len(lines), 40)
        ]
        return "\f".join(pages).replace("结果维持", "结 果 维 持")

    def docs(self, n: int) -> Iterator[DedupDocument]:
        rng = self.rng
        made = 0
        report_no = 0
        n_agencies = max(10, n // (len(YEARS) * 2))
        cities = max(1, n_agencies // 60)
        while made < n:
            a = report_no // len(YEARS)
            year = YEARS[report_no % len(YEARS)]
            city, dept, district = (
                a % cities,
                (a // cities) % len(DEPARTMENTS),
                a // (cities * len(DEPARTMENTS)),
            )
            agency = f"城{city}市第{district}区{DEPARTMENTS[dept]}"
            text, stats = self.report(agency, city, dept, a, year, rng)
            fetched = f"{year + 1}-02-{1 + report_no % 27:02d}T00:00:00"
            base = dict(
                agency=agency,
                year=year,
                template="2019" if year < 2021 else "2021",
                stats=stats,
                checks_ok=True,
            )
            first = DedupDocument(
                f"d{made}",
                text,
                source_kind="html",
                fetched_at=fetched,
                url=f"http://c{city}.gov.cn/{a}/{year}.html",
                raw_sha256=f"h{made}",
                **base,
            )
            batch = [first]
            if rng.random() < 0.5:  # the PDF copy
                batch.append(
                    replace(
                        first,
                        doc_id=f"d{made}p",
                        text=self.pdf_like(text, agency),
                        source_kind="pdf",
                        url=f"http://c{city}.gov.cn/{a}/{year}.pdf",
                        raw_sha256=f"h{made}p",
                        checks_ok=None,
                    )
                )
            if rng.random() < 0.2:  # a byte-identical mirror
                batch.append(replace(first, doc_id=f"d{made}m", url=f"http://mirror.cn/{a}/{year}.html"))
            revision = rng.random() < 0.05
            if revision:
                stats2 = json.loads(json.dumps(stats))
                stats2["active"]["行政许可"]["decisions"] += 1
                old = str(stats["active"]["行政许可"]["decisions"])
                batch.append(
                    replace(
                        first,
                        doc_id=f"d{made}r",
                        text=text.replace("\n" + old + "\n", "\n" + str(int(old) + 1) + "\n"),
                        fetched_at=f"{year + 1}-06-01T00:00:00",
                        url=f"http://c{city}.gov.cn/{a}/{year}-rev.html",
                        raw_sha256=f"h{made}r",
                        stats=stats2,
                    )
                )
            for i, d in enumerate(batch):
                if made >= n:
                    return
                self.truth_report.append(report_no)
                self.truth_revision.append(revision and i == len(batch) - 1)
                made += 1
                yield d
            report_no += 1


def quality(assign_clusters: list[str], corpus: Corpus, versions: list[int]) -> dict:
    ids = {c: i for i, c in enumerate(dict.fromkeys(assign_clusters))}
    pred = np.fromiter((ids[c] for c in assign_clusters), dtype=np.int64, count=len(assign_clusters))
    true = np.asarray(corpus.truth_report[: len(pred)], dtype=np.int64)
    pairs = np.unique(np.stack([true, pred], axis=1), axis=0)
    split = int((np.bincount(pairs[:, 0]) > 1).sum())
    merged = int((np.bincount(pairs[:, 1]) > 1).sum())
    rev = np.asarray(corpus.truth_revision[: len(pred)])
    return {
        "true_reports": int(len(np.unique(true))),
        "clusters": len(ids),
        "split_reports": split,
        "merged_clusters": merged,
        "revisions": int(rev.sum()),
        "revisions_found": int((np.asarray(versions)[rev] >= 2).sum()),
    }


def run_dedup(n: int, workdir: Path, workers: int) -> dict:
    corpus = Corpus()
    dd = Deduplicator.open(workdir / "dedup", workers=workers)
    clusters: list[str] = []
    versions: list[int] = []
    t0 = time.perf_counter()
    batch: list[DedupDocument] = []
    gen_time = 0.0
    it = corpus.docs(n)
    while True:
        g0 = time.perf_counter()
        batch = [d for _, d in zip(range(20_000), it, strict=False)]
        gen_time += time.perf_counter() - g0
        if not batch:
            break
        for a in dd.add_many(batch):
            clusters.append(a.cluster_id)
            versions.append(a.version)
        if len(clusters) % 100_000 == 0:
            print(f"  {len(clusters)} docs, {time.perf_counter() - t0 - gen_time:.0f} s", file=sys.stderr, flush=True)
    t_add = time.perf_counter() - t0 - gen_time
    worker_rss = 0  # the workers are the forkserver's children, not ours: ask one of them
    if dd._pool is not None:
        worker_rss = dd._pool.submit(resource.getrusage, resource.RUSAGE_SELF).result().ru_maxrss
    dd.close()
    t1 = time.perf_counter()
    dd.save()
    t_save = time.perf_counter() - t1
    disk = sum(f.stat().st_size for f in (workdir / "dedup").rglob("*") if f.is_file())
    t2 = time.perf_counter()
    reopened = Deduplicator.open(workdir / "dedup")
    t_open = time.perf_counter() - t2
    assert len(reopened) == n
    st = dd.stats()
    return {
        "mode": "dedup",
        "n": n,
        "add_s": round(t_add, 1),
        "docs_per_s": round(n / t_add),
        "save_s": round(t_save, 1),
        "open_s": round(t_open, 1),
        "disk_mb": round(disk / 2**20),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "worker_peak_rss_mb": round(worker_rss / 1024),
        "workers": workers,
        "candidates_per_doc": round(st["index"]["candidates"] / max(1, st["index"]["queries"]), 1),
        "capped": st["index"]["capped"],
        **quality(clusters, corpus, versions),
    }


def run_pairwise(n: int) -> dict:
    """Baseline: every document compared with every earlier one (same signatures, numpy, then the same
    agency/year test), clusters by union-find. Quadratic: the scaling the LSH index avoids."""
    corpus = Corpus()
    docs = list(corpus.docs(n))
    dd = Deduplicator.open(None)
    t0 = time.perf_counter()
    sigs = np.vstack([dd.features([d.text for d in docs[i : i + 2048]], [None] * len(docs[i : i + 2048])).sigs
                      for i in range(0, n, 2048)])
    agency = [d.agency for d in docs]
    year = [d.year for d in docs]
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    t_features = time.perf_counter() - t0
    for i in range(1, n):
        sims = (sigs[:i] == sigs[i]).mean(axis=1)
        for j in np.flatnonzero(sims >= 0.5).tolist():
            if agency[j] == agency[i] and year[j] == year[i]:
                parent[find(i)] = find(j)
    t = time.perf_counter() - t0
    return {"mode": "pairwise", "n": n, "add_s": round(t, 1), "docs_per_s": round(n / t),
            "features_s": t_features, "pairs_s": t - t_features,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            **quality([str(find(i)) for i in range(n)], corpus, [1] * n)}


def child(mode: str, n: int, workers: int) -> dict:
    cmd = [sys.executable, __file__, "--_child", mode, "--_n", str(n), "--workers", str(workers)]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)  # stderr (progress, errors) passes through
    if out.returncode:
        raise SystemExit(f"bench child {mode} {n} failed with exit code {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10k,100k,1M", help="dedup corpus sizes, e.g. 10k,100k,1M")
    ap.add_argument("--baseline-sizes", default="1k,5k,20k", help="pairwise baseline sizes")
    ap.add_argument("--workers", type=int, default=1, help="feature worker processes (0: all in one process)")
    ap.add_argument("--quick", action="store_true", help="10k only, baseline at 1k")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    ap.add_argument("--_n", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._child:
        if args._child == "dedup":
            with tempfile.TemporaryDirectory(prefix="bench_dedup_") as tmp:
                print(json.dumps(run_dedup(args._n, Path(tmp), args.workers)))
        else:
            print(json.dumps(run_pairwise(args._n)))
        return
    sizes = ["10k"] if args.quick else args.sizes.split(",")
    base = ["1k"] if args.quick else [s for s in args.baseline_sizes.split(",") if s]
    rows = []
    head = (
        f"{'method':<9}{'docs':>9}{'seconds':>9}{'docs/s':>9}{'peak MB':>9}{'reports':>9}{'clusters':>9}"
        f"{'split':>7}{'merged':>7}{'revs':>11}{'cand/doc':>9}"
    )
    print(head, flush=True)
    for mode, group in (("pairwise", base), ("dedup", sizes)):
        for s in group:
            r = child(mode, parse_size(s), args.workers)
            rows.append(r)
            print(
                f"{mode:<9}{r['n']:>9}{r['add_s']:>9}{r['docs_per_s']:>9}{r['peak_rss_mb']:>9}"
                f"{r['true_reports']:>9}{r['clusters']:>9}{r['split_reports']:>7}{r['merged_clusters']:>7}"
                f"{str(r['revisions_found']) + '/' + str(r['revisions']):>11}{r.get('candidates_per_doc', '-'):>9}",
                flush=True,
            )
    for r in (r for r in rows if r["mode"] == "dedup"):
        print(
            f"dedup {r['n']}: save {r['save_s']} s, reopen {r['open_s']} s, on disk {r['disk_mb']} MB, "
            f"candidate lists capped {r['capped']}x, {r['workers']} feature worker(s) peak {r['worker_peak_rss_mb']} MB"
        )
    pair = [r for r in rows if r["mode"] == "pairwise"]
    if pair:  # the quadratic part, extrapolated from the largest baseline run
        big = max(pair, key=lambda r: r["n"])
        for n in sorted({parse_size(s) for s in sizes}):
            est = big["features_s"] * n / big["n"] + big["pairs_s"] * (n / big["n"]) ** 2
            print(f"pairwise projected at {n}: {est:,.0f} s ({n / est:,.1f} docs/s)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
