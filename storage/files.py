"""Files the corpus writes for people (exports, ledgers, archives): whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def make_readable(path: Path) -> None:
    """The mode a plainly created file gets (mkstemp makes it 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o666 & ~umask)


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """A temporary path beside `target` to write to; renamed over `target` (with a plain file's mode) when
    the block ends, removed when it raises, so a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        make_readable(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
