"""What one document may cost a parse worker: caps on unpacked bytes, text, table cells, rows and nesting,
time and OCR pages of a PDF, the OCR engine, and the address space of the worker itself.

The defaults live in `settings.default` (one place). `Limits.from_settings` reads them once, in the
parent (the crawl's Scrapy settings; for `nianbao extract` / `reprocess` the environment), and the parse
pool hands them to each worker, which parses under them (`use_limits`); the workers never read the
environment. Whatever a cap cuts is noted (`note_cut`) and lands in the Document's `quality["cut"]` and
`error`: never silently.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, Protocol

from settings import default as _defaults

logger = logging.getLogger(__name__)


class SettingsSource(Protocol):
    """Where settings are read from: Scrapy `Settings`, or a mapping such as `os.environ`."""

    def get(self, name: str, default: Any = None, /) -> Any: ...


def setting_value(settings: SettingsSource, name: str, default: Any) -> Any:
    """`name` from `settings` as the type of `default`, a number or text (a number from `-s` or the
    environment arrives as text); `default` when unset or not a number (said in the log)."""
    raw = settings.get(name)
    if raw is None or raw == "":
        return default
    try:
        if isinstance(default, int):
            return int(float(raw))
        if isinstance(default, float):
            return float(raw)
    except (TypeError, ValueError):
        logger.warning("%s=%r is not a number; using %s", name, raw, default)
        return default
    return str(raw)


@dataclass(frozen=True)
class Limits:
    unpacked_mb: int = _defaults.NIANBAO_MAX_UNPACKED_MB  # one zip member, one PDF stream, decompressed
    text_chars: int = _defaults.NIANBAO_MAX_TEXT_CHARS  # text kept per document
    table_cells: int = _defaults.NIANBAO_MAX_TABLE_CELLS  # cells per table (gridSpan/gridBefore included)
    table_columns: int = _defaults.NIANBAO_MAX_TABLE_COLUMNS  # cells per table row
    table_rows: int = _defaults.NIANBAO_MAX_TABLE_ROWS  # rows per table
    nesting: int = _defaults.NIANBAO_MAX_NESTING  # element depth (HTML, nested tables and content controls)
    memory_mb: int = _defaults.NIANBAO_PARSE_MEMORY_MB  # address space of a parse worker (0: no limit)
    pdf_seconds: float = _defaults.NIANBAO_PDF_SECONDS  # time for one PDF's text
    ocr_max_pages: int = _defaults.NIANBAO_OCR_MAX_PAGES  # scanned pages OCRed per PDF
    ocr_engine: str = _defaults.NIANBAO_OCR_ENGINE  # auto, rapidocr, tesseract (pipelines.text.ocr)

    @property
    def unpacked_bytes(self) -> int:
        return self.unpacked_mb * 2**20

    @classmethod
    def from_settings(cls, settings: SettingsSource) -> Limits:
        """The caps `settings` name (Scrapy settings or the environment); the defaults for the rest."""
        return cls(**{f.name: setting_value(settings, SETTING_NAMES[f.name], f.default) for f in fields(cls)})

    @classmethod
    def from_env(cls, env: SettingsSource | None = None) -> Limits:
        """The caps the environment names (`nianbao extract`, `reprocess`, a library caller)."""
        return cls.from_settings(os.environ if env is None else env)


SETTING_NAMES = {
    "unpacked_mb": "NIANBAO_MAX_UNPACKED_MB",
    "text_chars": "NIANBAO_MAX_TEXT_CHARS",
    "table_cells": "NIANBAO_MAX_TABLE_CELLS",
    "table_columns": "NIANBAO_MAX_TABLE_COLUMNS",
    "table_rows": "NIANBAO_MAX_TABLE_ROWS",
    "nesting": "NIANBAO_MAX_NESTING",
    "memory_mb": "NIANBAO_PARSE_MEMORY_MB",
    "pdf_seconds": "NIANBAO_PDF_SECONDS",
    "ocr_max_pages": "NIANBAO_OCR_MAX_PAGES",
    "ocr_engine": "NIANBAO_OCR_ENGINE",
}

_in_force: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("nianbao_limits", default=None)


@contextlib.contextmanager
def use_limits(caps: Limits) -> Iterator[Limits]:
    """Parse under `caps` (a parse worker for its whole life; inline parsing for one document)."""
    token = _in_force.set(caps)
    try:
        yield caps
    finally:
        _in_force.reset(token)


def limits() -> Limits:
    """The caps in force: those handed to this parse worker or inline parse (`use_limits`); outside one
    (a test, a benchmark, a library caller) the environment's, read on each call."""
    return _in_force.get() or Limits.from_env()


# ------------------------------------------------------------------------------------------ cut work
_cuts: contextvars.ContextVar[list[tuple[str, bool]] | None] = contextvars.ContextVar("nianbao_cuts", default=None)


@contextlib.contextmanager
def collect_cuts() -> Iterator[list[tuple[str, bool]]]:
    """Collect what the caps cut while one document is read: (message, whether text was lost)."""
    token = _cuts.set([])
    try:
        yield _cuts.get()  # type: ignore[misc]
    finally:
        _cuts.reset(token)


def note_cut(what: str, *, lost: bool = True) -> None:
    """Record that a cap cut the document being read (once per message); `lost=False` for a cut that
    kept all text (e.g. nesting flattened), which goes to quality only, not to the error."""
    cuts = _cuts.get()
    if cuts is None:
        logger.warning("cap: %s", what)
    elif all(what != w for w, _ in cuts):
        cuts.append((what, lost))


class OverCap(ValueError):
    """A part of a document is larger than a cap allows; it is not read."""


def bounded_inflate(data: bytes, cap: int, wbits: int = 15) -> bytes:
    """zlib-inflate `data`, refusing more than `cap` bytes of output (a decompression bomb)."""
    import zlib

    d = zlib.decompressobj(wbits)
    out = d.decompress(data, cap + 1)
    if len(out) <= cap:
        out += d.flush()
    if len(out) > cap:
        raise OverCap(f"a compressed stream unpacks to more than {cap // 2**20} MB (NIANBAO_MAX_UNPACKED_MB)")
    return out


_memory_errors = 0


def note_memory_error() -> None:
    """A document ran this process out of its address space: the heap may stay fragmented near the cap,
    so a parse worker retires before its next document (`memory_spent`)."""
    global _memory_errors
    _memory_errors += 1


def memory_spent() -> bool:
    return _memory_errors > 0


def limit_memory(memory_mb: int) -> None:
    """Cap this process's data memory (parse worker initializer): a bomb gets MemoryError, not the host.

    RLIMIT_DATA counts the heap and private writable mappings, the memory a bomb actually fills. Not
    RLIMIT_AS: address space that is only reserved (glibc's 64 MB arena per thread, ONNX Runtime's
    threads) counts there, and RapidOCR's session then fails with std::bad_alloc, or aborts the process,
    long before any real memory is used."""
    if memory_mb <= 0:
        return
    try:
        import resource

        limit = memory_mb * 2**20
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (ImportError, ValueError, OSError) as exc:  # not on this platform: parse unbounded, say so
        logger.warning("cannot limit parse worker memory to %s MB: %s", memory_mb, exc)


class _BoundedDecompressor:
    """A zlib decompressobj that refuses to produce more than the unpacked cap in all."""

    def __init__(self, wbits: int = 15) -> None:
        import zlib

        self._d = zlib.decompressobj(wbits)
        self._out = 0

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        cap = limits().unpacked_bytes
        out = self._d.decompress(data, max_length or (cap - self._out + 1))
        self._out += len(out)
        if self._out > cap:
            raise OverCap(f"a compressed stream unpacks to more than {cap // 2**20} MB (NIANBAO_MAX_UNPACKED_MB)")
        return out

    def flush(self, *args: int) -> bytes:
        return self._d.flush(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._d, name)


class BoundedZlib:
    """Stands in for the `zlib` module inside a parser (pdfminer): inflating is bounded by the cap."""

    import zlib as _zlib

    error = _zlib.error
    MAX_WBITS = _zlib.MAX_WBITS

    @staticmethod
    def decompress(data: bytes, wbits: int = 15, bufsize: int = 16384) -> bytes:
        return bounded_inflate(data, limits().unpacked_bytes, wbits)

    @staticmethod
    def decompressobj(wbits: int = 15, *args: Any) -> _BoundedDecompressor:
        return _BoundedDecompressor(wbits)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._zlib, name)


def bound_pdfminer_streams() -> None:
    """Make pdfminer inflate PDF streams (FlateDecode) through the unpacked-size cap."""
    from pdfminer import pdftypes

    if not isinstance(pdftypes.zlib, BoundedZlib):
        pdftypes.zlib = BoundedZlib()  # type: ignore[assignment]
