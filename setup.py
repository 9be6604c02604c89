"""The one compiled module: `pipelines.text._pdfium_loops`, the per-character and per-path-point
loops of the PDF reader (`pipelines/text/pdf_chars.py`). Everything else is in pyproject.toml.

It is optional: where it cannot be built (no C compiler), the install goes on and the reader runs
the same loops in Python, giving the same text about 1.5x slower (README, *PDF text*)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "pipelines.text._pdfium_loops",
            sources=["pipelines/text/_pdfium_loops.c"],
            # the same double arithmetic as the Python loops: no fused multiply-add
            extra_compile_args=["-O2", "-ffp-contract=off"],
            optional=True,
        )
    ]
)
