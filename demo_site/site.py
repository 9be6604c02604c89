"""The demo site's description (data/site.toml) and the bytes of every page, built once and cached."""

from __future__ import annotations

import hashlib
import re
import threading
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from functools import cache
from importlib import resources
from typing import Any

CST = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Behaviour:
    """How the server answers one path, beyond serving its bytes."""

    status: int = 200
    delay: float = 0.0  # seconds before answering
    redirect: str | None = None  # Location for 301/302/303/307/308
    challenge: bool = False  # a 瑞数-style JS challenge body with its cookies (use with 412)
    validators: bool = True  # send ETag / Last-Modified and answer conditional requests with 304
    headers: tuple[tuple[str, str], ...] = ()
    # Tests only: requests wait for this event before answering (deterministic concurrency tests).
    gate: threading.Event | None = field(default=None, compare=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Behaviour:
        return cls(
            status=int(d.get("status", 200)),
            delay=float(d.get("delay", 0.0)),
            redirect=d.get("redirect"),
            challenge=bool(d.get("challenge", False)),
            validators=bool(d.get("etag", True)),
            headers=tuple((k, str(v)) for k, v in (d.get("headers") or {}).items()),
        )


@dataclass(frozen=True)
class Page:
    """One entry of the site description."""

    path: str
    kind: str
    template: str
    title: str
    date: str
    seed: str | None = None
    report: bool = False
    primary: bool = False
    encoding: str = "utf-8"
    meta_charset: str | None = None
    header_charset: bool = True
    links: tuple[tuple[str, str], ...] = ()
    items: tuple[str, ...] = ()
    attachments: tuple[tuple[str, str], ...] = ()
    body: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    behaviour: Behaviour = Behaviour()

    _KNOWN = frozenset(
        [
            "path",
            "kind",
            "template",
            "title",
            "date",
            "seed",
            "report",
            "primary",
            "encoding",
            "meta_charset",
            "header_charset",
            "links",
            "items",
            "attachments",
            "body",
            "status",
            "delay",
            "redirect",
            "etag",
            "challenge",
            "headers",
        ]
    )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Page:
        return cls(
            path=d["path"],
            kind=d["kind"],
            template=d["template"],
            title=d["title"],
            date=d["date"],
            seed=d.get("seed"),
            report=bool(d.get("report", False)),
            primary=bool(d.get("primary", False)),
            encoding=d.get("encoding", "utf-8"),
            meta_charset=d.get("meta_charset"),
            header_charset=bool(d.get("header_charset", True)),
            links=tuple((t, h) for t, h in d.get("links", [])),
            items=tuple(d.get("items", [])),
            attachments=tuple((t, h) for t, h in d.get("attachments", [])),
            body=tuple(d.get("body", [])),
            extra={k: v for k, v in d.items() if k not in cls._KNOWN},
            behaviour=Behaviour.from_dict(d),
        )

    @property
    def declared_charset(self) -> str:
        return self.encoding if self.meta_charset is None else self.meta_charset

    @property
    def last_modified(self) -> datetime:
        """Publication date at 09:00 China time."""
        return datetime.fromisoformat(self.date).replace(hour=9, tzinfo=CST)


@dataclass(frozen=True)
class Resource:
    """The bytes the server sends for a page, with its headers."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime

    @property
    def last_modified_http(self) -> str:
        return format_datetime(self.last_modified.astimezone(UTC), usegmt=True)


class Site:
    """The demo site: settings, pages and behaviours from a TOML description; rendered lazily."""

    def __init__(self, description: dict[str, Any]) -> None:
        from demo_site.platforms import expand

        description = expand(description)
        self.settings: dict[str, Any] = description.get("site", {})
        self.pages: dict[str, Page] = {}
        for d in description.get("page", []):
            page = Page.from_dict(d)
            if page.path in self.pages:
                raise ValueError(f"demo site: duplicate page path {page.path}")
            self.pages[page.path] = page
        self.behaviours: dict[str, Behaviour] = {
            d["path"]: Behaviour.from_dict(d) for d in description.get("behaviour", [])
        }
        self.endpoints: dict[str, dict[str, Any]] = {d["path"]: d for d in description.get("endpoint", [])}
        self.gates: list[dict[str, str]] = list(description.get("gate", []))
        self._cache: dict[str, Resource] = {}
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.settings.get("name", "")

    def page(self, path: str) -> Page | None:
        """The page at `path` (a query-carrying path is looked up exactly, then without its query)."""
        if path in self.pages:
            return self.pages[path]
        path = re.sub(r";jsessionid=[^?#/]*", "", path, flags=re.I)  # servlet containers ignore it
        if path in self.pages:
            return self.pages[path]
        base = path.split("?", 1)[0].split("#", 1)[0]
        if base in self.pages:
            return self.pages[base]
        if base.endswith("/") and base + "index.html" in self.pages:
            return self.pages[base + "index.html"]
        if base == "/index.html":
            return self.pages.get("/")
        return None

    def behaviour(self, path: str) -> Behaviour | None:
        if path in self.behaviours:
            return self.behaviours[path]
        return self.behaviours.get(path.split("?", 1)[0])

    def resource(self, page: Page) -> Resource:
        """Render (once per process and page) and cache the page's bytes."""
        with self._lock:
            res = self._cache.get(page.path)
            if res is None:
                from demo_site.templates import render_page

                body, content_type = render_page(self, page)
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                res = Resource(body, content_type, etag, page.last_modified)
                self._cache[page.path] = res
            return res

    def titled(self, path: str) -> tuple[str, str]:
        page = self.pages[path]
        return page.title, page.date


@cache
def load_site() -> Site:
    """The bundled site description, parsed once per process."""
    raw = resources.files("demo_site").joinpath("data", "site.toml").read_text(encoding="utf-8")
    return Site(tomllib.loads(raw))
