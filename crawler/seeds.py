"""Seeds: where a crawl starts (URLs from the command line or a CSV with url, agency, region)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Seed:
    url: str
    agency: str | None = None
    region: str | None = None

    @property
    def host(self) -> str:
        return seed_host(self.url)


def seed_host(url: str) -> str:
    """The host (with port when not default) a seed keeps the crawl on, lower-cased."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    try:
        parts.port  # noqa: B018 - raises on a port out of range or not a number
    except ValueError as exc:
        raise ValueError(f"{url!r}: {exc}") from None
    return parts.netloc.lower()


def read_seeds_csv(path: str | Path) -> list[Seed]:
    """Read a seeds CSV (header with `url`, optional `agency`, `region`); BOM and blank lines tolerated."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: a folder, not a seeds CSV file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValueError(f"{path}: seeds file not found") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the seeds file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        text = path.read_bytes().decode("gb18030")
    reader = csv.DictReader(line for line in text.splitlines() if line.strip())
    if reader.fieldnames is None or "url" not in [f.strip().lower() for f in reader.fieldnames]:
        raise ValueError(f"{path}: seeds CSV needs a header with a 'url' column")
    seeds: list[Seed] = []
    for number, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        url = row.get("url", "")
        if not url:
            continue
        try:
            seed_host(url)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
        seeds.append(Seed(url=url, agency=row.get("agency") or None, region=row.get("region") or None))
    return seeds
