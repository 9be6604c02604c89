"""A Scrapy extension for the crawl benchmark: the crawl process's CPU time by stage.

Enabled by `bench_crawl.py` in one extra nianbao run (`-s EXTENSIONS=...`, `-s BENCH_STAGE_LOG=path`)
with inline parsing (`NIANBAO_PARSE_WORKERS=0`), so that text extraction and the report extractor run
in the crawl process where their CPU time can be taken. It wraps, for the length of the process:
- text: `pipelines.parse.textify` (decoding, HTML/PDF/Office/OCR text);
- parse: `pipelines.parse.parse_text` (the report extractor);
- store: `storage.db.Storage.run` (every database transaction), the storing pipelines'
  `process_item` (fetch rows, reports, url states) and `storage.blobs.RawStore.put` (raw blobs, written
  in a worker thread: each thread's time counted);
- dedup: `dedup.service.run_dedup` (after the crawl).
Each is timed by the thread's CPU clock, outermost call in its thread only (a transaction inside a storing
pipeline counts once). fetch is the rest of the process's CPU time from engine start to spider close:
Scrapy's engine, downloads, the spider's discovery and scheduling. Nothing is changed but timed.
The figures go to the JSON file at spider close and again, with dedup, when the process exits.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import inspect
import json
import threading
import time
from typing import Any, Self

from bench._extension import connect_signals, log_path

WRAPPED = [
    ("pipelines.parse", None, "textify", "text"),
    ("pipelines.parse", None, "parse_text", "parse"),
    ("storage.db", "Storage", "run", "store"),
    ("pipelines.store_raw", "StoreRawPipeline", "process_item", "store"),
    ("pipelines.reports", "ReportPipeline", "process_item", "store"),
    ("pipelines.incremental", "IncrementalPipeline", "process_item", "store"),
    ("dedup.service", None, "run_dedup", "dedup"),

    ("storage.blobs", "RawStore", "put", "store"),  # in a worker thread, called by StoreRawPipeline
    ("pipelines.store_raw", None, "sniff_kind", "store"),
]


class StageCPU:
    def __init__(self, path: str) -> None:
        self.path = path
        self.cpu = {"store": 0.0, "text": 0.0, "parse": 0.0, "dedup": 0.0}
        self.inside = threading.local()  # `active`: inside a timed call, inner timed calls are part of it
        self.lock = threading.Lock()
        self.pages = 0
        self.start = 0.0
        self.crawl_cpu = 0.0

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        ext = cls(log_path(crawler, "BENCH_STAGE_LOG"))
        for module, owner, name, stage in WRAPPED:
            ext.wrap(module, owner, name, stage)
        connect_signals(crawler, ext, "engine_started", "response_received", "spider_closed")
        atexit.register(ext.write)
        return ext

    def wrap(self, module: str, owner: str | None, name: str, stage: str) -> None:
        target = importlib.import_module(module)
        if owner is not None:
            target = getattr(target, owner)
        original = getattr(target, name)
        if inspect.iscoroutinefunction(original):
            return  # a coroutine's thread time would count whatever ran while it awaited: what it calls is timed

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if getattr(self.inside, "active", False):
                return original(*args, **kwargs)
            self.inside.active = True
            start = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                with self.lock:
                    self.cpu[stage] += time.thread_time() - start
                self.inside.active = False

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
