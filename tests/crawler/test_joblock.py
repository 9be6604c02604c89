"""One job, one crawl: the database lock of a job, and what a killed holder leaves (nothing)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from crawler.joblock import JobLocked, acquire, heartbeat, new_holder, release
from demo_site.server import serve
from demo_site.site import Behaviour
from storage.config import resolve_storage
from storage.db import Storage
from storage.models import JobLock, utcnow
from tests.support.crawls import FAST, crawl_popen, nianbao, query


@pytest.fixture
def storage(tmp_path):
    storage = Storage(resolve_storage(None, tmp_path))
    yield storage
    storage.dispose()


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_live_holder_keeps_the_job(storage):
    first, second = new_holder(), new_holder()
    assert storage.run(lambda s: acquire(s, "j", first)) is None
    with pytest.raises(JobLocked, match=f"process {os.getpid()}"):
        storage.run(lambda s: acquire(s, "j", second))
    assert storage.run(lambda s: heartbeat(s, "j", first))
    assert storage.run(lambda s: acquire(s, "other", second)) is None  # other jobs are free
    storage.run(lambda s: release(s, "j", first))
    assert storage.run(lambda s: acquire(s, "j", second)) is None


def test_a_dead_or_silent_holder_is_taken_over(storage):
    host = new_holder().split(":")[0]
    dead = f"{host}:{_dead_pid()}:x"
    storage.run(lambda s: acquire(s, "j", dead))
    note = storage.run(lambda s: acquire(s, "j", new_holder()))
    assert "is gone" in note
    # a holder on another machine: alive until its heartbeat is older than the lease
    remote = "elsewhere:4242:y"
    storage.run(lambda s: s.execute(update(JobLock).values(holder=remote, host="elsewhere", pid=4242)))
    with pytest.raises(JobLocked, match="elsewhere"):
        storage.run(lambda s: acquire(s, "j", new_holder(), 60))
    old = utcnow() - timedelta(seconds=120)
    storage.run(lambda s: s.execute(update(JobLock).values(heartbeat_at=old)))
    assert "no heartbeat" in storage.run(lambda s: acquire(s, "j", new_holder(), 60))
    assert not storage.run(lambda s: heartbeat(s, "j", remote))  # the old holder learns it lost the lock


@pytest.mark.slow
def test_second_crawl_of_a_running_job_stops_and_kill9_leaves_no_lock(tmp_path: Path) -> None:
    data = tmp_path / "data"
    gate = threading.Event()
    with serve() as server:
        server.set_behaviour("/", Behaviour(status=200, gate=gate))  # the first crawl waits on its seed
        first = crawl_popen(server.base_url + "/", "--job", "one", data_dir=data)
        try:
            _wait_for_lock(data)
            second = nianbao("crawl", server.base_url + "/", "--job", "one", *FAST, data_dir=data, check=False)
            assert second.returncode != 0 and "being crawled by process" in second.stderr
            assert f"process {first.pid}" in second.stderr
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=60)
            gate.set()
        server.clear_behaviours()
        again = nianbao("crawl", server.base_url + "/", "--job", "one", *FAST, "--depth", "0", data_dir=data,
                        check=False)
        assert again.returncode == 0, again.stderr[-2000:]
        assert "took over the lock" in again.stderr and "is gone" in again.stderr
    assert query(data, "SELECT count(*) FROM job_locks") == [(0,)]  # released at the end


def _wait_for_lock(data: Path) -> None:
    """Poll until the first crawl holds its job's lock."""
    import sqlite3
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if query(data, "SELECT count(*) FROM job_locks") == [(1,)]:
                return
        except sqlite3.OperationalError:
            pass  # the database or table is not created yet
        time.sleep(0.05)
    raise AssertionError("the first crawl never took its job lock")


def test_the_lock_on_postgresql(pg_url, tmp_path):
    storage = Storage(resolve_storage(pg_url, tmp_path))
    first, second = new_holder(), new_holder()
    assert storage.run(lambda s: acquire(s, "pg-job", first)) is None
    with pytest.raises(JobLocked):
        storage.run(lambda s: acquire(s, "pg-job", second))
    storage.run(lambda s: release(s, "pg-job", first))
    assert storage.run(lambda s: acquire(s, "pg-job", second)) is None
