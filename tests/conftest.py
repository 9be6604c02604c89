"""Shared test fixtures: the demo site server, free ports, PostgreSQL and Redis.

Tests marked `postgres` / `redis` skip with a reason when 127.0.0.1:5432 / :6379 do not answer,
except in CI (CI=true), where they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.support.services import PG_HOST, PG_PORT, REDIS_HOST, REDIS_PORT, require_services

PG_BASE_URL = os.environ.get("NIANBAO_TEST_PG_URL", f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/test")


@pytest.fixture
def demo_server() -> Iterator:
    """A running demo site server (demo_site.server.DemoServer) on a free port."""
    from demo_site.server import serve

    server = serve()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL on database `test` whose search_path is a fresh schema, dropped afterwards."""
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    plain = PG_BASE_URL.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_BASE_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def redis_url() -> Iterator[str]:
    """redis://127.0.0.1:6379/<n> for a database number claimed for this test, flushed before and after.

    Claims are keys in database 0 (`nianbao:test:db:<n>`, SET NX with an expiry), so parallel test
    runs on one machine never share a database.
    """
    import redis

    admin = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=0)
    claim = None
    databases = int(admin.config_get("databases").get("databases", 16))
    for n in range(1, databases):
        key = f"nianbao:test:db:{n}"
        if admin.set(key, os.getpid(), nx=True, ex=3600):
            claim = (n, key)
            break
    if claim is None:
        pytest.fail(f"no free Redis database on {REDIS_HOST}:{REDIS_PORT} (all 1..{databases - 1} claimed)")
    n, key = claim
    db = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=n)
    db.flushdb()
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{n}"
    finally:
        db.flushdb()
        admin.delete(key)
        db.close()
        admin.close()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or fail, in CI) a test marked for PostgreSQL or Redis when that server does not answer."""
    require_services(item)
