"""RapidOCR (PP-OCR detection + recognition models run by ONNX Runtime on the CPU) as an OCR engine:
one call per page image, text lines with their boxes and scores.

Only the models shipped inside the installed package are used, named by path, so nothing is ever
downloaded at run time: a package without its models counts as not installed (and Tesseract is used).
Both package lines are understood: `rapidocr` 3.x (import name `rapidocr`, models in
`rapidocr/models/`) and `rapidocr-onnxruntime` 1.x (import name `rapidocr_onnxruntime`).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextBox:
    """One recognised text line: its box in image pixels (y down), its text and score (0..100)."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    confidence: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def width(self) -> float:
        return self.x1 - self.x0


_lock = threading.Lock()
_engine: object | None = None
_engine_error: str | None = None
_package: str | None = None


def _bundled(models: Path, task: str) -> Path | None:
    found = sorted(models.glob(f"*{task}*.onnx"))
    return found[0] if found else None


def _load() -> object:
    """The engine of this process (loaded once; about a second)."""
    global _engine, _engine_error, _package
    with _lock:
        if _engine is not None or _engine_error is not None:
            if _engine is None:
                raise RuntimeError(_engine_error)
            return _engine
        try:
            _engine, _package = _construct()
        except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
            _engine_error = f"RapidOCR is not usable ({type(exc).__name__}: {exc})"
            raise RuntimeError(_engine_error) from exc
        return _engine


def _construct() -> tuple[object, str]:
    try:
        import rapidocr
        from rapidocr import RapidOCR
    except ImportError:
        rapidocr = None
    if rapidocr is not None:
        models = Path(rapidocr.__file__).parent / "models"
        paths = {task: _bundled(models, task) for task in ("det", "cls", "rec")}
        missing = [task for task, path in paths.items() if path is None]
        if missing:
            raise FileNotFoundError(f"rapidocr ships no {'/'.join(missing)} model in {models}")
        params = {"Global.log_level": "warning", **{f"{t.capitalize()}.model_path": str(p) for t, p in paths.items()}}
        return RapidOCR(params=params), "rapidocr"
    import rapidocr_onnxruntime
    from rapidocr_onnxruntime import RapidOCR as RapidOCR1

    models = Path(rapidocr_onnxruntime.__file__).parent / "models"
    paths = {task: _bundled(models, task) for task in ("det", "cls", "rec")}
    missing = [task for task, path in paths.items() if path is None]
    if missing:
        raise FileNotFoundError(f"rapidocr_onnxruntime ships no {'/'.join(missing)} model in {models}")
    return RapidOCR1(det_model_path=str(paths["det"]), cls_model_path=str(paths["cls"]),
                     rec_model_path=str(paths["rec"])), "rapidocr_onnxruntime"


def rapidocr_available() -> bool:
    try:
        _load()
        return True
    except RuntimeError:
        return False


def engine_version() -> str:
    """"rapidocr 3.10.0" and the like, for the record of how a text was made."""
    from importlib.metadata import PackageNotFoundError, version

    _load()
    name = "rapidocr" if _package == "rapidocr" else "rapidocr-onnxruntime"
    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return name


def read_boxes(gray: np.ndarray) -> list[TextBox]:
    """Text lines of a grey page image (uint8, y down), each with its axis-aligned box. The line
    direction classifier is not used: on an upright page it can only turn a short line (a number)
    upside down, and a page fed upside down is turned whole (`ocr.ocr_upright`)."""
    engine = _load()
    image = np.ascontiguousarray(np.stack([gray] * 3, axis=-1)) if gray.ndim == 2 else gray
    if _package == "rapidocr":
        out = engine(image, use_det=True, use_cls=False, use_rec=True)  # 3.x keeps the last call's flags
        if out.boxes is None or out.txts is None:
            return []
        items = zip(out.boxes.tolist(), out.txts, out.scores, strict=True)
    else:
        result, _elapse = engine(image, use_det=True, use_cls=False, use_rec=True)
        items = ((box, text, score) for box, text, score in (result or []))
    boxes = []
    for quad, text, score in items:
        xs = [float(p[0]) for p in quad]
        ys = [float(p[1]) for p in quad]
        if str(text).strip():
            boxes.append(TextBox(min(xs), min(ys), max(xs), max(ys), str(text).strip(), 100.0 * float(score)))
    return boxes


def read_crops(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Recognition alone (no detection) of one-line grey crops: (text, score 0..100) for each, in order.
    For a table cell holding ink where detection found no text (a lone small digit)."""
    if not crops:
        return []
    engine = _load()
    padded = []
    for crop in crops:
        pad = max(4, crop.shape[0] // 2)
        canvas = np.full((crop.shape[0] + 2 * pad, crop.shape[1] + 2 * pad), 255, dtype=np.uint8)
        canvas[pad:pad + crop.shape[0], pad:pad + crop.shape[1]] = crop
        padded.append(np.ascontiguousarray(np.stack([canvas] * 3, axis=-1)))
    out: list[tuple[str, float]] = []
    for image in padded:
        if _package == "rapidocr":
            res = engine(image, use_det=False, use_cls=False, use_rec=True)
            txts, scores = res.txts or ("",), res.scores or (0.0,)
            out.append((str(txts[0]).strip(), 100.0 * float(scores[0])))
        else:
            result, _elapse = engine(image, use_det=False, use_cls=False)
            text, score = (result or [["", 0.0]])[0]
            out.append((str(text).strip(), 100.0 * float(score)))
    return out
