"""What a reader of each export format sees as its schema."""

from __future__ import annotations

import csv
import json
from pathlib import Path


def schema_of(paths: dict[str, Path]) -> dict[str, object]:
    """What a reader of each file sees as its schema (names, order, types)."""
    import pandas as pd
    import pyarrow.parquet as pq

    with paths["csv"].open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    lines = [json.loads(line) for line in paths["jsonl"].read_text(encoding="utf-8").splitlines()]
    json_keys = {tuple(line) for line in lines}
    json_types = {}
    for line in lines:
        for key, value in line.items():
            if value is not None:
                json_types.setdefault(key, set()).add(type(value).__name__)
    parquet = pq.read_schema(paths["parquet"])
    with pd.io.stata.StataReader(paths["dta"]) as reader:
        stata = reader.variable_labels()
        stata_types = tuple(reader.read().dtypes.astype(str))
    return {
        "csv": tuple(header),
        "jsonl": json_keys,
        "jsonl_types": {k: sorted(v) for k, v in json_types.items()},
        "parquet": [(f.name, str(f.type)) for f in parquet],
        "parquet_meta": {f.name: f.metadata for f in parquet},
        "dta": tuple(stata.items()),
        "dta_types": stata_types,
    }
