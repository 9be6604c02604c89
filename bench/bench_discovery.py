"""Discovery on the demo site in its three modes: recall, non-reports stored, pages per report, browser time.

    python bench/bench_discovery.py                       # adapters, browser, both
    python bench/bench_discovery.py --modes adapters

For each mode (`NIANBAO_DISCOVERY`: adapters = declarations read, no browser; browser = the browser
where nothing else finds reports, no declaration reading; both = the default) a fresh `nianbao crawl`
of the whole demo portal, then `nianbao export`, compared with the site's truth. Prints reports found /
reports on the site (recall), non-report rows exported, requests the site answered per report found
beside the perfect crawler's pages per report (`demo_site.perfect_paths`, the baseline of the same
site), pages rendered and browser seconds per rendered page (from the run's discovery health).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo_site import perfect_paths, truth  # noqa: E402
from demo_site.run_demo import compare, nianbao_command  # noqa: E402
from demo_site.server import DemoServer  # noqa: E402
from demo_site.site import load_site  # noqa: E402

FAST = ["-s", "NIANBAO_ALLOW_PRIVATE=127.0.0.0/8", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "AUTOTHROTTLE_MAX_DELAY=1",
        "--progress", "off"]


def run(args: list[str], data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NIANBAO_DATA_DIR": str(data)}
    env.pop("NIANBAO_DATABASE_URL", None)
    return subprocess.run(nianbao_command() + args, env=env, capture_output=True, text=True, check=False)


def measure(mode: str, work: Path) -> dict[str, object]:
    site = load_site()
    data = work / mode
    with DemoServer(site).start() as server:
        started = time.monotonic()
        crawl = run(["crawl", server.base_url + "/", "--job", mode, *FAST, "-s", f"NIANBAO_DISCOVERY={mode}"], data)
        seconds = time.monotonic() - started
        requests = [r for r in server.requests if r.path != "/robots.txt"]
        expected = truth(server.base_url)
    if crawl.returncode != 0:
        raise SystemExit(f"crawl ({mode}) failed:\n{crawl.stderr[-3000:]}")
    out = work / f"{mode}.jsonl"
    run(["export", "--format", "jsonl", "--out", str(out)], data)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    _lines, found, extra = compare(rows, expected)
    record = json.loads(run(["runs", "--json"], data).stdout.splitlines()[0])
    hosts = record.get("discovery") or {}
    rendered = sum(h["rendered"] for h in hosts.values())
    browser = sum(h["browser_seconds"] for h in hosts.values())
    return {"mode": mode, "found": found, "reports": len(expected.reports), "extra": extra,
            "requests": len(requests), "per_report": len(requests) / max(found, 1), "rendered": rendered,
            "browser_s": browser, "per_render": browser / rendered if rendered else 0.0, "wall_s": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="adapters,browser,both")
    opts = parser.parse_args()
    site = load_site()
    perfect = len(perfect_paths(site)) / len(truth("", site).reports)
    print(f"baseline: a perfect crawler fetches {perfect:.2f} pages per report on this site")
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-discovery-") as tmp:
        for mode in opts.modes.split(","):
            r = measure(mode.strip(), Path(tmp))
            print(f"{r['mode']:>8}: recall {r['found']}/{r['reports']} = {r['found'] / r['reports']:.3f}, "
                  f"{r['extra']} non-report(s) stored, {r['requests']} requests = {r['per_report']:.2f} per report "
                  f"({r['per_report'] / perfect:.2f}x perfect), {r['rendered']} page(s) rendered, "
                  f"{r['per_render']:.2f} browser s per rendered page, crawl {r['wall_s']:.0f} s", flush=True)
            failed |= r["found"] != r["reports"] or r["extra"] != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
