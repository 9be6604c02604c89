"""The shared fixtures in tests/conftest.py: isolated PostgreSQL schemas and Redis databases."""

from __future__ import annotations

import pytest

from tests.support.services import free_port


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        assert s.getsockname()[1] == port


@pytest.mark.postgres
def test_pg_url_is_a_fresh_schema(pg_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            schema = conn.execute(sa.text("select current_schema()")).scalar()
            assert schema.startswith("t_")
            assert (
                conn.execute(
                    sa.text(
                        "select count(*) from information_schema.tables where table_schema = current_schema()"
                    )
                ).scalar()
                == 0
            )
            conn.execute(sa.text("create table probe (id int)"))
            conn.execute(sa.text("insert into probe values (1)"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("select count(*) from probe")).scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.redis
def test_redis_url_is_an_empty_claimed_database(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        assert not redis_url.endswith("/0")
        assert client.dbsize() == 0
        client.set("nianbao:probe", "1")
        assert client.get("nianbao:probe") == b"1"
    finally:
        client.close()


def test_service_markers_skip_locally_and_fail_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from tests.support import services

    monkeypatch.setitem(services._SERVICES, "postgres", ("127.0.0.1", free_port()))  # nothing listens there
    item = types.SimpleNamespace(get_closest_marker=lambda name: object() if name == "postgres" else None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="postgres not answering"):
        services.require_services(item)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        services.require_services(item)
