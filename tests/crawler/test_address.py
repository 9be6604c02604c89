"""Address policy: private, loopback, link-local, multicast and reserved addresses are refused with a
recorded error unless allowed; redirects and meta refreshes may not leave the seed hosts."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from crawler.address import AddressPolicy, address_problem, allowed_networks, literal_address
from demo_site.server import serve
from tests.support.crawls import FAST, nianbao, query


@pytest.mark.parametrize(
    ("host", "address"),
    [("127.0.0.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"),
     ("017700000001", "127.0.0.1"), ("[::1]", "::1"), ("0.0.0.0", "0.0.0.0"), ("www.gov.cn", None),
     ("beef.example", None), ("1.2.3.4.5", None)],
)
def test_literal_addresses_in_every_spelling(host, address):
    got = literal_address(host)
    assert (str(got) if got else None) == address


@pytest.mark.parametrize(
    ("address", "problem"),
    [("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("127.0.0.1", "loopback"),
     ("169.254.169.254", "link-local"), ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
     ("240.0.0.1", "reserved"), ("100.64.0.1", "not globally routable"), ("::1", "loopback"),
     ("fe80::1", "link-local"), ("fc00::1", "private"), ("::ffff:127.0.0.1", "loopback"),
     ("202.96.128.86", None), ("2400:da00::6666", None)],
)
def test_address_problems(address, problem):
    assert address_problem(ipaddress.ip_address(address)) == problem


def test_policy_allows_only_what_it_is_told():
    loopback = ipaddress.ip_address("127.0.0.1")
    metadata = ipaddress.ip_address("169.254.169.254")
    assert "loopback" in AddressPolicy(allowed_networks("false")).refusal("localhost", loopback)
    assert "NIANBAO_ALLOW_PRIVATE" in AddressPolicy(allowed_networks(None)).refusal("x", metadata)
    some = AddressPolicy(allowed_networks("127.0.0.0/8, ::1"))
    assert some.refusal("localhost", loopback) is None and some.refusal("x", metadata) is not None
    assert AddressPolicy(allowed_networks("True")).refusal("x", metadata) is None
    assert AddressPolicy(False).refusal("gov", ipaddress.ip_address("202.96.128.86")) is None
    with pytest.raises(ValueError, match="NIANBAO_ALLOW_PRIVATE"):
        allowed_networks("127.0.0.0/33")


NO_LOOPBACK = [a for a in FAST if a != "NIANBAO_ALLOW_PRIVATE=127.0.0.0/8"]
NO_LOOPBACK = [a for i, a in enumerate(NO_LOOPBACK)
               if not (a == "-s" and i + 1 < len(NO_LOOPBACK) and NO_LOOPBACK[i + 1] == "-s")]


@pytest.mark.slow
def test_private_seeds_are_refused_and_recorded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve() as server:
        by_name = server.base_url.replace("127.0.0.1", "localhost") + "/"
        literal = f"http://2130706433:{server.port}/"
        result = nianbao("crawl", server.base_url + "/", by_name, literal, "--job", "private", *NO_LOOPBACK,
                         "--depth", "0", "--no-dedup", data_dir=data, check=False)
        assert result.returncode == 1 and "3 seeds unreachable" in result.stderr, result.stderr[-3000:]
        assert not server.requests, "a refused address was fetched"
    rows = dict(query(data, "SELECT url, error FROM fetches"))
    assert "127.0.0.1" in rows[server.base_url + "/"] and "loopback" in rows[server.base_url + "/"]
    assert "localhost" in rows[by_name] and "loopback" in rows[by_name]  # refused where the name resolved
    assert "loopback" in rows[literal]
    stats = query(data, "SELECT stats FROM crawl_runs")[0][0]
    assert '"refused/address": 3' in stats


@pytest.mark.slow
def test_redirects_and_meta_refresh_stay_on_seed_hosts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve() as seed, serve() as other:
        seed.set_behaviour("/away.html", status=302, redirect=other.url("/"))
        seed.set_behaviour("/home.html", status=302, redirect="/")  # on the seed host: followed
        result = nianbao("crawl", seed.url("/away.html"), seed.url("/home.html"), "--job", "redir", *FAST,
                         "--depth", "0", "--no-dedup", data_dir=data, check=False)
        # the seed whose only answer is a refused redirect gave nothing: a failure the exit code reports
        assert result.returncode == 1 and "1 seeds unreachable" in result.stderr, result.stderr[-3000:]
        assert not [r for r in other.requests if r.path != "/robots.txt"], "a redirect left the seed hosts"
    rows = {url: (status, error) for url, status, error in query(data, "SELECT url, status, error FROM fetches")}
    status, error = rows[seed.url("/away.html")]
    assert status is None and "redirect refused" in error and other.url("/")[7:].rstrip("/") in error
    assert rows[seed.url("/home.html")] == (200, None)
