"""A Scrapy extension for the crawl benchmark: the crawl process's CPU time by stage.

Enabled by `bench_crawl.py` in one extra nianbao run (`-s EXTENSIONS=...`, `-s BENCH_STAGE_LOG=path`)
with inline parsing (`NIANBAO_PARSE_WORKERS=0`), so that text extraction and the report extractor run
in the crawl process where their CPU time can be taken. It wraps, for the length of the process:
- text: `pipelines.parse.textify` (decoding, HTML/PDF/Office/OCR text);
- parse: `pipelines.parse.parse_text` (the report extractor);
- store: `storage.db.Storage.run` (every database transaction) and the storing pipelines'
  `process_item` (raw blobs, fetch rows, reports, url states);
- dedup: `dedup.service.run_dedup` (after the crawl).
Each is timed by the thread's CPU clock, outermost call only (a transaction inside a storing
pipeline counts once). fetch is the rest of the process's CPU time from engine start to spider close:
Scrapy's engine, downloads, the spider's discovery and scheduling. Nothing is changed but timed.
The figures go to the JSON file at spider close and again, with dedup, when the process exits.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import time
from typing import Any, Self

from scrapy import signals
from scrapy.exceptions import NotConfigured

WRAPPED = [
    ("pipelines.parse", None, "textify", "text"),
    ("pipelines.parse", None, "parse_text", "parse"),
    ("storage.db", "Storage", "run", "store"),
    ("pipelines.store_raw", "StoreRawPipeline", "process_item", "store"),
    ("pipelines.reports", "ReportPipeline", "process_item", "store"),
    ("crawler.incremental", "IncrementalPipeline", "process_item", "store"),
    ("dedup.service", None, "run_dedup", "dedup"),
]


class StageCPU:
    def __init__(self, path: str) -> None:
        self.path = path
        self.cpu = {"store": 0.0, "text": 0.0, "parse": 0.0, "dedup": 0.0}
        self.active = False  # inside a timed call: inner timed calls are part of it
        self.pages = 0
        self.start = 0.0
        self.crawl_cpu = 0.0

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        path = crawler.settings.get("BENCH_STAGE_LOG")
        if not path:
            raise NotConfigured("BENCH_STAGE_LOG is not set")
        ext = cls(path)
        for module, owner, name, stage in WRAPPED:
            ext.wrap(module, owner, name, stage)
        crawler.signals.connect(ext.engine_started, signal=signals.engine_started)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        atexit.register(ext.write)
        return ext

    def wrap(self, module: str, owner: str | None, name: str, stage: str) -> None:
        target = importlib.import_module(module)
        if owner is not None:
            target = getattr(target, owner)
        original = getattr(target, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.active:
                return original(*args, **kwargs)
            self.active = True
            start = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.cpu[stage] += time.thread_time() - start
                self.active = False

        setattr(target, name, timed)

    def engine_started(self) -> None:
        self.start = time.process_time()

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        if not response.url.endswith("/robots.txt"):
            self.pages += 1

    def spider_closed(self, spider: Any) -> None:
        self.crawl_cpu = time.process_time() - self.start
        self.write()

    def write(self) -> None:
        fetch = self.crawl_cpu - self.cpu["store"] - self.cpu["text"] - self.cpu["parse"]
        with open(self.path, "w", encoding="utf-8") as out:
            json.dump({"pages": self.pages, "crawl_cpu": self.crawl_cpu, "fetch": fetch, **self.cpu}, out)
