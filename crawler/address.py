"""Address policy: no request where it should not go.

Every request (seeds, links, redirect targets, meta refreshes, robots.txt) is checked against the
address its host resolves to. Private, loopback, link-local, multicast, reserved and unspecified
addresses (10.0.0.0/8, 127.0.0.1, 169.254.169.254, 0.0.0.0, `2130706433`, ::1 ...) are refused with a
recorded error unless `NIANBAO_ALLOW_PRIVATE` allows them: `True` allows all, or a comma-separated list
of networks allows those (tests and the demo site: `127.0.0.0/8`).

Two checks, because Twisted resolves only names: `AddressPolicyMiddleware` refuses IP literals in any
spelling the C resolver accepts, and redirects that leave the seed hosts; `PolicyResolver` (the
`DNS_RESOLVER`) refuses names at connection time, so a host that resolves to a public address when
checked and to a private one when connected (DNS rebinding) is still refused.

Redirects (HTTP 3xx and meta refresh) may leave the seed host only for a host the seed list names,
or, with `NIANBAO_REDIRECT_ANY_PUBLIC = True`, for any public address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedRequest(IgnoreRequest):
    """A request the crawl refuses on purpose; the spider records it as a failed fetch and counts it
    under `nianbao/refused/<kind>`."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


REFUSED_ADDRESS = "address refused"
# Twisted's endpoint turns a resolver's error into "no results for hostname lookup": the resolver
# notes here why it refused a name, and the spider puts that reason in the fetch's error.
REFUSED_NAMES: dict[str, str] = {}


def refusal_of(url: str) -> str | None:
    """Why the resolver refused the host of `url`, if it did."""
    return REFUSED_NAMES.get((urlsplit(url).hostname or "").lower())


def allowed_networks(value: Any) -> list[Network] | bool:
    """`NIANBAO_ALLOW_PRIVATE` as True/False or the networks it allows."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("", "0", "false", "no", "off"):
            return False
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        items: Iterable[str] = text.split(",")
    else:
        items = [str(v) for v in value]
    try:
        return [ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip()]
    except ValueError as exc:
        raise ValueError(f"NIANBAO_ALLOW_PRIVATE: {exc} (true, false, or networks like 127.0.0.0/8)") from None


def literal_address(host: str) -> Address | None:
    """The address a host written as an IP literal stands for, in any spelling the C library accepts
    (`127.1`, `0x7f.0.0.1`, `2130706433`, `[::1]`); None for a name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def address_problem(address: Address) -> str | None:
    """What makes `address` one the crawl must not reach, or None for a public address."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    for name in ("unspecified", "loopback", "link_local", "multicast", "reserved", "private"):
        if getattr(address, f"is_{name}"):
            return name.replace("_", "-")
    if not address.is_global:
        return "not globally routable"
    return None


class AddressPolicy:
    """Decides whether an address may be fetched."""

    def __init__(self, allow: list[Network] | bool = False) -> None:
        self.allow = allow

    @classmethod
    def from_settings(cls, settings: Any) -> AddressPolicy:
        return cls(allowed_networks(settings.get("NIANBAO_ALLOW_PRIVATE", False)))

    def refusal(self, host: str, address: Address) -> str | None:
        """Why `host` (at `address`) is refused, or None."""
        problem = address_problem(address)
        if problem is None or self.allow is True:
            return None
        if self.allow and any(address in net for net in self.allow if net.version == address.version):
            return None
        shown = host if host.strip("[]") == str(address) else f"{host} ({address})"
        return (f"{REFUSED_ADDRESS}: {shown} is a {problem} address; "
                f"set NIANBAO_ALLOW_PRIVATE to crawl it")


class AddressPolicyMiddleware:
    """Refuses IP-literal hosts the policy forbids and redirects that leave the seed hosts."""

    def __init__(self, policy: AddressPolicy, any_public_redirect: bool) -> None:
        self.policy = policy
        self.any_public_redirect = any_public_redirect
        self.crawler: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> AddressPolicyMiddleware:
        mw = cls(AddressPolicy.from_settings(crawler.settings),
                 crawler.settings.getbool("NIANBAO_REDIRECT_ANY_PUBLIC", False))
        mw.crawler = crawler
        return mw

    def _refuse(self, why: str, kind: str) -> None:
        raise RefusedRequest(why, kind)

    def process_request(self, request: Any, spider: Any = None) -> None:
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        address = literal_address(host)
        if address is not None and (why := self.policy.refusal(host, address)):
            self._refuse(why, "address")
        origins = request.meta.get("redirect_urls")
        if origins and not self.any_public_redirect:
            spider = spider or getattr(self.crawler, "spider", None)
            if not _seed_host(spider, request.url, origins[0]):
                self._refuse(f"redirect refused: {origins[-1]} redirects to {parts.netloc}, a host the seed list "
                             f"does not name (NIANBAO_REDIRECT_ANY_PUBLIC allows any public host)", "redirect")
        return None


def _seed_host(spider: Any, url: str, origin: str) -> bool:
    """Whether `url` is on a host the seed list names (or the origin's own host)."""
    netloc = urlsplit(url).netloc.lower()
    if netloc == urlsplit(origin).netloc.lower():
        return True
    host_seed = getattr(spider, "_host_seed", None)
    return bool(host_seed(url)) if host_seed is not None else False


class PolicyResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to addresses the policy forbids (the
    refusal is a DNSLookupError naming the address; the spider records and counts it)."""

    policy = AddressPolicy()

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> PolicyResolver:
        resolver = super().from_crawler(crawler, reactor)  # `crawler` is the CrawlerProcess: settings only
        resolver.policy = AddressPolicy.from_settings(crawler.settings)
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:  # noqa: N802 - Twisted's interface
        deferred = super().getHostByName(name, timeout)

        def check(result: str) -> str:
            why = None
            with contextlib.suppress(ValueError):
                why = self.policy.refusal(name, ipaddress.ip_address(result))
            if why:
                if len(REFUSED_NAMES) > 10_000:
                    REFUSED_NAMES.clear()
                REFUSED_NAMES[name.lower()] = why
                raise DNSLookupError(why)
            return result

        return deferred.addCallback(check)


class RedirectLoopMiddleware:
    """Sees a redirect before Scrapy's RedirectMiddleware does: a Location that goes back to a URL of the
    same chain is a loop, refused and recorded (the duplicate filter would otherwise drop it in silence)."""

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        location = response.headers.get("Location") if 300 <= response.status < 400 else None
        if not location:
            return response
        from urllib.parse import urljoin

        target = urljoin(request.url, location.decode("latin-1")).split("#", 1)[0]
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            raise RefusedRequest(f"redirect loop: {' -> '.join([*chain[-4:], target])}", "redirect_loop")
        return response
