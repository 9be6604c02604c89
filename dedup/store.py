"""Persistent dedup index: numpy columns and signatures (memory-mapped on open), Parquet string columns.

Layout under the index directory (e.g. ``<data-dir>/dedup/``)::

    CURRENT            name of the live generation, replaced atomically on save
    gen-000003/        meta.json, signatures.npy, rows.npz, rows.parquet, lsh_keys.npy, lsh_ids.npy,
                       clusters.parquet, cluster_full.npy, report_keys.npy, report_clusters.npy,
                       stub_url_keys.npy, stub_url_rows.npy, found_on_keys.npy, found_on_rows.npy,
                       versions.npz

A save writes a whole new generation and then switches CURRENT, so a crash mid-save leaves the previous
index intact; older generations are deleted after the switch.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

FORMAT = 3  # 2: stubs (rows.npz `stub`, cluster_full.npy, report_keys.npy, report_clusters.npy)
# 3: links (stub_url_keys/rows.npy, found_on_keys/rows.npy); `stub` marks every bodyless record


class IndexFormatError(ValueError):
    """A stored index written in another format: rebuild it from the documents."""


class Column:
    """A growable numpy array (1-D or rows of fixed width), optionally backed by a read-only memory map
    for the part that was loaded; appends go to memory."""

    def __init__(
        self, dtype: np.dtype | type, width: int | None = None, base: np.ndarray | None = None
    ) -> None:
        self.dtype = np.dtype(dtype)
        self.width = width
        self._base = base if base is not None else self._alloc(0)
        self._tail = self._alloc(1024)
        self._n_tail = 0

    def _alloc(self, n: int) -> np.ndarray:
        shape = (n,) if self.width is None else (n, self.width)
        return np.empty(shape, dtype=self.dtype)

    def __len__(self) -> int:
        return len(self._base) + self._n_tail

    def _grow(self, need: int) -> None:
        if self._n_tail + need > len(self._tail):
            cap = max(len(self._tail) * 2, self._n_tail + need)
            tail = self._alloc(cap)
            tail[: self._n_tail] = self._tail[: self._n_tail]
            self._tail = tail

    def append(self, value) -> int:
        self._grow(1)
        self._tail[self._n_tail] = value
        self._n_tail += 1
        return len(self) - 1

    def extend(self, values: np.ndarray) -> None:
        self._grow(len(values))
        self._tail[self._n_tail : self._n_tail + len(values)] = values
        self._n_tail += len(values)

    def __getitem__(self, i: int):
        nb = len(self._base)
        return self._base[i] if i < nb else self._tail[i - nb]

    def __setitem__(self, i: int, value) -> None:
        nb = len(self._base)
        if i < nb:
            if not self._base.flags.writeable:
                self._base = np.array(self._base)  # copy-on-write of a memory-mapped column
            self._base[i] = value
        else:
            self._tail[i - nb] = value

    def take(self, rows: np.ndarray) -> np.ndarray:
        nb = len(self._base)
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return self._alloc(0)
        if not self._n_tail or rows.max() < nb:
            return self._base[rows]
        if not nb or rows.min() >= nb:
            return self._tail[rows - nb]
        out = self._alloc(len(rows))
        in_base = rows < nb
        out[in_base] = self._base[rows[in_base]]
        out[~in_base] = self._tail[rows[~in_base] - nb]
        return out

    def array(self) -> np.ndarray:
        if not self._n_tail:
            return self._base
        return np.concatenate([self._base, self._tail[: self._n_tail]])


def current_generation(root: Path) -> Path | None:
    marker = root / "CURRENT"
    if not marker.exists():
        return None
    gen = root / marker.read_text().strip()
    if not (gen / "meta.json").exists():
        raise FileNotFoundError(f"dedup index {root}: CURRENT names {gen.name}, which has no meta.json")
    return gen


def new_generation(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[4:]) for p in root.glob("gen-*") if p.name[4:].isdigit()]
    gen = root / f"gen-{max(numbers, default=0) + 1:06d}"
    gen.mkdir()
    return gen


def commit_generation(root: Path, gen: Path) -> None:
    """Point CURRENT at `gen` atomically and remove older generations."""
    for f in gen.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    tmp = root / "CURRENT.tmp"
    tmp.write_text(gen.name)
    os.replace(tmp, root / "CURRENT")
    for old in root.glob("gen-*"):
        if old != gen and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True))


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def write_table(path: Path, columns: dict[str, list | np.ndarray | pa.Array]) -> None:
    pq.write_table(pa.table(columns), path)


def read_table(path: Path) -> dict[str, list]:
    table = pq.read_table(path)
    return {name: table.column(name).to_pylist() for name in table.column_names}


def load_npy(path: Path, mmap: bool) -> np.ndarray:
    return np.load(path, mmap_mode="r" if mmap else None)
