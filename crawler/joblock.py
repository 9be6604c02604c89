"""One job, one crawl: a lock in the database that a killed process does not leave behind.

Two `nianbao crawl --job X` processes without a shared frontier would each fetch every URL (politeness
and counters doubled). The first takes the job's row in `job_locks`; a second one stops with a clear
message. The holder refreshes its heartbeat every few seconds (`JobLockHeartbeat`); a lock is stale,
and taken over, when its heartbeat is older than `NIANBAO_JOB_LOCK_SECONDS` or when its process is no
longer running on this host, so `kill -9` never leaves a job locked. With `--frontier` the processes
share the queue on purpose and take no lock.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update

from storage.models import JobLock, utcnow
from storage.records import insert_ignore

LEASE_SECONDS = 60.0


class JobLocked(RuntimeError):
    """The job is being crawled by another live process."""


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale(lock: JobLock, lease_seconds: float, *, now: Any = None) -> str | None:
    """Why `lock` no longer holds (its process is gone, its heartbeat is old), or None."""
    now = now or utcnow()
    beat = lock.heartbeat_at if lock.heartbeat_at.tzinfo else lock.heartbeat_at.replace(tzinfo=now.tzinfo)
    if lock.host == socket.gethostname() and not _pid_alive(lock.pid):
        return f"process {lock.pid} on {lock.host} is gone"
    if now - beat > timedelta(seconds=lease_seconds):
        return f"no heartbeat for {(now - beat).total_seconds():.0f} s"
    return None


def acquire(session: Any, job: str, holder: str, lease_seconds: float = LEASE_SECONDS) -> str | None:
    """Take the lock of `job` for `holder`; returns why an earlier holder's lock was taken over (or None).
    Raises JobLocked naming the live holder."""
    host, pid = holder.split(":")[0], int(holder.split(":")[1])
    now = utcnow()
    values = {"job": job, "holder": holder, "host": host, "pid": pid, "acquired_at": now, "heartbeat_at": now}
    insert_ignore(session, JobLock.__table__, values, ["job"])
    lock = session.scalars(select(JobLock).where(JobLock.job == job).with_for_update()).one()
    if lock.holder == holder:
        return None
    why = stale(lock, lease_seconds, now=now)
    if why is None:
        age = (now - (lock.heartbeat_at if lock.heartbeat_at.tzinfo else lock.heartbeat_at.replace(tzinfo=now.tzinfo)))
        raise JobLocked(
            f"job {job!r} is being crawled by process {lock.pid} on {lock.host} (heartbeat {age.total_seconds():.0f} s "
            f"ago); wait for it to end, stop it, or run every process of the job with --frontier redis://... "
            f"to share the work")
    taken = session.execute(
        update(JobLock).where(JobLock.job == job, JobLock.holder == lock.holder).values(**values)
    ).rowcount
    if not taken:  # another process took it over first
        raise JobLocked(f"job {job!r} was just taken over by another process")
    return f"took over the lock of job {job!r} from {lock.holder}: {why}"


def heartbeat(session: Any, job: str, holder: str) -> bool:
    """Refresh the heartbeat; False when the lock was lost (taken over after a long stall)."""
    return bool(session.execute(
        update(JobLock).where(JobLock.job == job, JobLock.holder == holder).values(heartbeat_at=utcnow())
    ).rowcount)


def release(session: Any, job: str, holder: str) -> None:
    session.execute(delete(JobLock).where(JobLock.job == job, JobLock.holder == holder))


class JobLockHeartbeat:
    """Scrapy extension: keeps the crawl's job lock alive while the spider runs, releases it at the end."""

    def __init__(self, crawler: Any) -> None:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        settings = crawler.settings
        self.job, self.holder = settings.get("NIANBAO_JOB"), settings.get("NIANBAO_JOB_LOCK_HOLDER")
        if not (self.job and self.holder):
            raise NotConfigured("no job lock held")
        self.interval = max(1.0, settings.getfloat("NIANBAO_JOB_LOCK_SECONDS", LEASE_SECONDS) / 4)
        self.settings, self.crawler, self.loop, self.storage = settings, crawler, None, None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> JobLockHeartbeat:
        return cls(crawler)

    def opened(self, spider: Any = None) -> None:
        from twisted.internet import task

        from pipelines.corpus import CorpusStorage

        self.storage = CorpusStorage.of(self.crawler)
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(self.interval, now=False)

    def beat(self) -> None:
        try:
            alive = self.storage.run(lambda session: heartbeat(session, self.job, self.holder))
        except Exception as exc:  # noqa: BLE001 - a database hiccup: try again on the next beat
            self.crawler.stats.inc_value("nianbao/joblock/heartbeat_errors")
            spider = getattr(self.crawler, "spider", None)
            if spider is not None:
                spider.logger.warning("job lock heartbeat failed: %s", exc)
            return
        if not alive:
            self.crawler.stats.inc_value("nianbao/joblock/lost")
            self.crawler.engine.close_spider(self.crawler.spider, "job_lock_lost")

    def closed(self, spider: Any = None, reason: str = "") -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.storage is not None:
            with contextlib.suppress(Exception):
                self.storage.run(lambda session: release(session, self.job, self.holder))
