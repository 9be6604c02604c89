"""Ctrl-C and SIGTERM at random moments of a real crawl, in a pseudo-terminal and without one: the first
signal finishes what is in flight and exits 130, the second (or the NIANBAO_STOP_SECONDS deadline)
stops at once; no traceback, no worker left behind, and the job resumes to the same corpus."""

from __future__ import annotations

import os
import pty
import random
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from demo_site.server import serve
from tests.support.crawls import FAST, NIANBAO, nianbao, query

pytestmark = pytest.mark.slow


class Crawl:
    """A `nianbao crawl` in its own process group (as a shell job is), its output collected."""

    def __init__(self, args: list[str], data: Path, *, tty: bool, env: dict[str, str] | None = None) -> None:
        environ = {**os.environ, "NIANBAO_DATA_DIR": str(data), **(env or {})}
        environ.pop("NIANBAO_DATABASE_URL", None)
        self.chunks: list[bytes] = []
        if tty:
            master, slave = pty.openpty()
            self.process = subprocess.Popen([NIANBAO, "crawl", *args], env=environ, stdin=slave, stdout=slave,
                                            stderr=slave, start_new_session=True)
            os.close(slave)
            self.reader = threading.Thread(target=self._drain_pty, args=(master,), daemon=True)
        else:
            self.process = subprocess.Popen([NIANBAO, "crawl", *args], env=environ, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
            self.reader = threading.Thread(target=self._drain_pipe, daemon=True)
        self.reader.start()

    def _drain_pty(self, master: int) -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last writer is gone
                break
            if not chunk:
                break
            self.chunks.append(chunk)
        os.close(master)

    def _drain_pipe(self) -> None:
        assert self.process.stdout is not None
        for chunk in iter(lambda: self.process.stdout.read1(65536), b""):  # type: ignore[union-attr]
            self.chunks.append(chunk)

    @property
    def output(self) -> str:
        return b"".join(self.chunks).decode("utf-8", "replace")

    def signal_group(self, signum: int) -> None:
        """What the terminal does on Ctrl-C: the signal goes to every process of the foreground group."""
        os.killpg(self.process.pid, signum)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.process.poll() is None, f"exited {self.process.returncode} before {text!r}:\n{self.output}"
            assert time.monotonic() < deadline, f"{text!r} never shown:\n{self.output[-3000:]}"
            time.sleep(0.05)

    def finish(self, timeout: float = 180) -> int:
        code = self.process.wait(timeout=timeout)
        self.reader.join(timeout=30)
        return code

    def group_gone(self, timeout: float = 30) -> bool:
        """Whether every process of the crawl's group (the parse workers too) has exited."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.05)
        return False


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def glued_lines(raw: str) -> list[str]:
    """Lines where a message (stop notice, log line) was written into the live display's last line
    instead of on a line of its own."""
    glued = []
    for line in raw.split("\n"):
        # what the terminal shows of the line: the text after its last carriage return or erase-line
        segment = ANSI.sub("", re.split(r"\r|\x1b\[2K", line.rstrip("\r"))[-1])
        for marker in ("SIGINT received", "SIGTERM received", "] WARNING:", "] ERROR:", "] INFO:"):
            position = segment.find(marker)
            if position > 0 and not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[[\w.-]+", segment[:position]):
                glued.append(segment)
    return glued


def _pages(server) -> set[str]:  # noqa: ANN001
    return {p for p in server.site.pages if p != "/robots.txt" and not p.endswith(".css") and not p.startswith("/test/")}


def _visited(data: Path) -> int:
    try:
        return query(data, "SELECT count(*) FROM run_visits")[0][0]
    except Exception:  # noqa: BLE001 - the database or its schema may not exist yet
        return 0


def _wait_visits(crawl: Crawl, data: Path, target: int) -> None:
    deadline = time.monotonic() + 120
    while _visited(data) < target:
        assert crawl.process.poll() is None, f"crawl ended before {target} visits:\n{crawl.output[-3000:]}"
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.mark.parametrize(("tty", "signum", "seed"), [
    (True, signal.SIGINT, 1), (False, signal.SIGTERM, 2), (False, signal.SIGINT, 3)])
def test_first_signal_finishes_in_flight_work_then_the_job_resumes(tmp_path: Path, tty: bool, signum: int,
                                                                   seed: int) -> None:
    data = tmp_path / "data"
    rng = random.Random(seed)
    with serve() as server:
        pages = _pages(server)
        for path in pages:
            server.set_behaviour(path, delay=0.1)
        # progress as configured: live on a pty, plain lines (every half second here) in a pipe
        args = [server.base_url + "/", "--job", "stopme", *FAST[:-2], "-s", "NIANBAO_PROGRESS_INTERVAL=0.5"]
        crawl = Crawl(args, data, tty=tty)
        _wait_visits(crawl, data, rng.randint(1, len(pages) // 2))
        crawl.signal_group(signum)
        code = crawl.finish()
        out = crawl.output
        assert code == 130, out[-3000:]
        assert f"{signal.Signals(signum).name} received: stopping" in out and "NIANBAO_STOP_SECONDS" in out
        assert "Traceback" not in out and "BrokenProcessPool" not in out, out[-5000:]
        assert "interrupted" in out and "--job stopme" in out  # the summary says how to resume
        if tty:  # the live display, with every message on a line of its own
            assert "pages/s" in out and "ETA" in out and not glued_lines(out), glued_lines(out)[:3]
        else:
            assert re.search(r"progress: pages \d+ .*\| queued \d+ .*pages/s \| ETA", out), out[-3000:]
        assert crawl.group_gone(), "parse workers outlived the crawl"
        assert query(data, "SELECT status, finished_at FROM crawl_runs") == [("interrupted", None)]
        stored_before = {row[0] for row in query(data, "SELECT url FROM fetches")}
        counts_at_stop = Counter(server.counts)

        resumed = nianbao("crawl", *args, "--progress", "off", data_dir=data, check=False)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert query(data, "SELECT status FROM crawl_runs") == [("finished",)]
        per_url = Counter(row[0] for row in query(data, "SELECT url FROM fetches"))
        assert max(per_url.values()) == 1
        assert {server.url(p) for p in pages} <= set(per_url)
        for url in stored_before:  # nothing stored before the stop was fetched again
            path = url.removeprefix(server.base_url)
            assert server.counts[path] == counts_at_stop[path], f"{path} fetched again after resume"


def test_second_signal_stops_at_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve() as server:
        pages = _pages(server)
        for path in pages - {"/"}:  # after the home page, every download in flight hangs
            server.set_behaviour(path, delay=600)
        args = [server.base_url + "/", "--job", "twice", *FAST[:-2], "-s", "DOWNLOAD_TIMEOUT=900"]
        crawl = Crawl(args, data, tty=True, env={"NIANBAO_STOP_SECONDS": "900"})
        _wait_visits(crawl, data, 1)
        crawl.signal_group(signal.SIGINT)
        crawl.wait_for("press Ctrl-C again")
        crawl.signal_group(signal.SIGINT)
        code = crawl.finish(timeout=120)
        out = crawl.output
        assert code == 130
        assert "stopped at once (second SIGINT)" in out and "--job twice" in out
        assert "Traceback" not in out
        assert "Spider closed" not in out  # it did not wait for the slow downloads
        assert crawl.group_gone()
        for path in pages:
            server.set_behaviour(path, delay=0)
        resumed = nianbao("crawl", *args, "--progress", "off", data_dir=data, check=False)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert query(data, "SELECT status FROM crawl_runs") == [("finished",)]


def test_stop_deadline_cuts_a_slow_close_short(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve() as server:
        pages = _pages(server)
        for path in pages:
            server.set_behaviour(path, delay=600)  # every download hangs
        args = [server.base_url + "/", "--job", "deadline", *FAST, "-s", "DOWNLOAD_TIMEOUT=900"]
        crawl = Crawl(args, data, tty=False, env={"NIANBAO_STOP_SECONDS": "2"})
        crawl.wait_for("Spider opened")
        crawl.signal_group(signal.SIGTERM)
        code = crawl.finish(timeout=120)
        out = crawl.output
        assert code == 130
        assert "stopped at once (still closing after NIANBAO_STOP_SECONDS=2)" in out
        assert "Traceback" not in out
        assert crawl.group_gone()


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_signal_at_any_moment_of_the_start_exits_130_without_traceback(tmp_path: Path, seed: int) -> None:
    """Imports, opening the corpus, opening the spider: Ctrl-C lands somewhere in there."""
    data = tmp_path / "data"
    moment = random.Random(seed).uniform(0.0, 8.0)
    with serve() as server:
        for path in _pages(server):
            server.set_behaviour(path, delay=0.2)
        crawl = Crawl([server.base_url + "/", "--job", "early", *FAST], data, tty=seed % 2 == 1)
        time.sleep(moment)  # the random moment itself, not a wait for something that could be polled
        crawl.signal_group(signal.SIGINT)
        code = crawl.finish()
    out = crawl.output
    assert code == 130, (moment, out[-3000:])
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, (moment, out[-3000:])
    assert "SIGINT received" in out
    assert crawl.group_gone()
