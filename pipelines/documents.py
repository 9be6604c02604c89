"""Step 2: turn a stored body into a Document (decode, extract clean text) and link its fetch."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy import select

from crawler.items import FetchedResponse
from pipelines.base import StoragePipeline
from pipelines.textify import DocumentText, textify
from storage.models import Document
from storage.records import link_document_fetch, upsert_document

logger = logging.getLogger(__name__)

# Bodies that can carry a report's text.
TEXT_KINDS = frozenset({"html", "pdf", "docx", "doc", "wps", "txt", "xls", "xlsx"})


def textify_version() -> str:
    from pipelines import textify as module

    return str(getattr(module, "TEXTIFY_VERSION", "1"))


def document_values(text: DocumentText, *, raw_sha256: str, url: str) -> dict[str, Any]:
    """The Document columns for one textify result."""
    body = text.text or ""
    return {
        "raw_sha256": raw_sha256,
        "kind": text.kind,
        "url": url,
        "title": text.title,
        "published": text.published,
        "encoding": text.encoding,
        "encoding_evidence": text.encoding_evidence,
        "text": body,
        "text_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "extractor": text.extractor,
        "extractor_version": textify_version(),
        "quality": text.quality or {},
        "error": text.error,
    }


class DocumentPipeline(StoragePipeline):
    """One Document per distinct body; the same body from another URL only adds a link."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, FetchedResponse) or not item.ok or item.kind not in TEXT_KINDS:
            return item
        assert item.sha256 is not None and item.fetch_id is not None
        version = textify_version()
        content_key = item.sha256

        def existing(session: Any) -> int | None:
            document = session.scalars(select(Document).where(Document.content_key == content_key)).one_or_none()
            if document is None or document.extractor_version != version:
                return None
            link_document_fetch(session, document.id, item.fetch_id)
            return document.id

        document_id = self.storage.run(existing)
        if document_id is not None:
            item.document_id = document_id
            return item

        url = item.final_url or item.url
        text = textify(item.body, url=url, content_type=item.headers.get("content-type"),
                       content_disposition=item.headers.get("content-disposition"))
        if text.error:
            logger.warning("%s: %s", url, text.error)
            self.stats.inc_value("nianbao/documents/errors")
        if not text.title and item.anchor_text:
            text.title = item.anchor_text  # attachments: the link text is often the only title
        values = document_values(text, raw_sha256=item.sha256, url=url)

        def store(session: Any) -> int:
            document, _changed = upsert_document(session, content_key=content_key, values=values)
            link_document_fetch(session, document.id, item.fetch_id)
            return document.id

        item.document_id = self.storage.run(store)
        item.notes["document_text"] = text
        self.stats.inc_value(f"nianbao/documents/{text.kind}")
        return item
