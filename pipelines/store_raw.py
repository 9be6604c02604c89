"""Step 1: keep the raw bytes exactly as fetched and record the HTTP exchange (Fetch)."""

from __future__ import annotations

import asyncio
from typing import Any

from pipelines.base import StoragePipeline
from pipelines.documents import claims_document
from pipelines.items import FetchedResponse
from pipelines.sniff import sniff_kind
from storage.blobs import sha256_hex
from storage.records import ensure_site, record_fetch, record_visit


class StoreRawPipeline(StoragePipeline):
    """Body into the content-addressed store (in a worker thread), then one Fetch row (and the run's visit)
    in one transaction."""

    def open_spider(self, spider: Any = None) -> None:
        self.site_ids: dict[str, int] = {}  # host -> Site.id, once its row is committed

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, FetchedResponse):
            return item
        for page in [item, *item.parts]:  # a split article: every page kept and recorded, in order
            await self._store(page, spider)
        return item

    async def _store(self, item: FetchedResponse, spider: Any) -> None:
        headers = item.headers
        if item.body:
            item.kind = sniff_kind(item.body, content_type=headers.get("content-type"),
                                   url=item.final_url or item.url,
                                   content_disposition=headers.get("content-disposition"))
        if item.from_store:
            item.fetch_id = item.stored_fetch_id
            item.sha256 = sha256_hex(item.body) if item.body else None
            self.stats.inc_value("nianbao/fetches/from_store")
            return
        if item.unfetched:
            return  # deliberately not asked for (already recorded in this run, or a blocked host)
        try:
            # hashing and the fsyncs of an atomic write, off the reactor thread: the crawl goes on meanwhile
            item.sha256 = await asyncio.to_thread(self.storage.raw.put, item.body) if item.body else None
        except OSError as exc:  # a full or unwritable raw store: the fetch is recorded as failed, and counted
            item.sha256 = None
            item.error = f"raw store: cannot write the body ({exc.strerror or exc}) at {self.storage.raw.root}"
            self.stats.inc_value("nianbao/fetches/store_errors")  # and fetches/errors below
        if not item.body and item.ok and claims_document(item):
            item.error = "empty body: the server sent no bytes for this document"  # recorded, not silent

        site_ids = getattr(self, "site_ids", {})

        def store(session: Any) -> tuple[int, int | None]:
            site_id = site_ids.get(item.site_host) if item.site_host else None
            if item.site_host and site_id is None:
                site_id = ensure_site(session, item.site_host, item.seed_url or item.url,
                                      item.agency_hint, item.region_hint).id
            fetch = record_fetch(
                session, url=item.url, status=item.status, sha256=item.sha256, error=item.error,
                final_url=item.final_url, headers=headers, fetched_at=item.fetched_at,
                content_type=headers.get("content-type"), size=len(item.body) if item.body else None,
                kind=item.kind, etag=headers.get("etag"), last_modified=headers.get("last-modified"),
                referrer=item.referrer, anchor_text=item.anchor_text, depth=item.depth, site_id=site_id,
                job=spider_job(spider),
            )
            if self.run_id is not None:
                record_visit(session, self.run_id, item.url, fetch.id)
            return fetch.id, site_id

        item.fetch_id, site_id = self.storage.run(store)
        if item.site_host and site_id is not None:
            site_ids[item.site_host] = site_id
        self.stats.inc_value("nianbao/fetches/stored")
        if item.error:
            self.stats.inc_value("nianbao/fetches/errors")


def spider_job(spider: Any) -> str | None:
    crawler = getattr(spider, "crawler", None)
    return crawler.settings.get("NIANBAO_JOB") if crawler is not None else None
