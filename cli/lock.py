"""One writer per results folder: an exclusive lock held for the whole command.

Every command that writes a folder (solve, report, compare, sensitivity …) first takes
`flock(LOCK_EX | LOCK_NB)` on a lock file beside it, `<parent>/.<name>.lock`. A second
command on the same folder is refused at once instead of silently replacing the
first one's files. The kernel drops a flock lock when its process ends, however it
ends, so a killed command never leaves a folder locked; the lock file itself is
removed on a clean exit and is harmless when left behind by a killed one.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

import click

from allocopt_cli.common import EXIT_BAD_INPUT, Failure

EXIT_BUSY = EXIT_BAD_INPUT
_ATTEMPTS = 5  # a lock file removed by its holder just as we opened it: try the new one


def lock_path(folder: Path) -> Path:
    folder = folder.resolve()
    return folder.parent / f".{folder.name}.lock"


def _busy(folder: Path, fd: int, advice: str) -> Failure:
    try:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
    except OSError:
        holder = "?"
    return Failure([f"{folder} is being written by another allocopt command (pid {holder}); "
                    f"{advice}"], EXIT_BUSY)


@contextlib.contextmanager
def folder_lock(folder: Path, advice: str = "wait for it or choose another --out"
                ) -> Iterator[None]:
    """Hold the exclusive lock of `folder` while the block runs, or raise Failure
    (EXIT_BUSY) at once when another process holds it."""
    import fcntl

    path = lock_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(_ATTEMPTS):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            failure = _busy(folder, fd, advice) if exc.errno in (errno.EAGAIN,
                                                                 errno.EACCES) else None
            os.close(fd)
            if failure is None:
                raise
            raise failure from None
        # The holder we waited on may have unlinked the file we opened: ours only if
        # the path still names the file we locked.
        with contextlib.suppress(FileNotFoundError):
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                break
        os.close(fd)
    else:
        raise Failure([f"{folder}: could not take its lock {path}"], EXIT_BUSY)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def lock_for_command(folder: Path, advice: str = "wait for it or choose another --out") -> None:
    """Take `folder`'s lock until the running click command ends (see folder_lock)."""
    click.get_current_context().with_resource(folder_lock(folder, advice))
