"""Task functions for parse-pool tests: importable by spawned workers."""

from __future__ import annotations

import os
import signal
import time


def echo_or_die(value: str) -> str:
    """`value` back; a worker given "die" is killed the way the OOM killer kills it."""
    if value == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if value == "slow":
        time.sleep(0.5)  # keeps a bystander in flight while another task kills its worker
    if value == "raise":
        raise ValueError("bad document")
    return value.upper()


def address_space_limit() -> int:
    import resource

    return resource.getrlimit(resource.RLIMIT_DATA)[0]


def allocate(mb: int) -> int:
    block = bytearray(mb * 2**20)
    return len(block)


def report_stop_signals(queue) -> None:  # noqa: ANN001 - a multiprocessing queue
    """Put this process's SIGINT and SIGTERM dispositions as it started (nothing changed them here)."""
    queue.put((signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)))


def ran_out_of_memory() -> str:
    """What textify does after a MemoryError: flag the worker as spent."""
    from pipelines.limits import note_memory_error

    note_memory_error()
    return "spent"


def worker_pid() -> int:
    import os as _os

    return _os.getpid()
