"""Worker processes that never outlive the viubench process that started them, and exclusive locks on
folders that one process at a time may write (a run directory, a dataset being built).

A pool's workers watch their parent: when it is gone (killed by SIGKILL, SIGTERM, the OOM killer or a
scheduler's timeout) they exit within a second instead of lingering. Locks are ``flock`` locks on a file,
so the operating system releases them when their holder dies, however it dies. A dataset folder's lock
file lives in the cache (``lock_path``), keyed by the folder's absolute path, so the folder holds only
the dataset; a run directory's is its own ``.lock``.
"""

from __future__ import annotations

import fcntl
import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from viubench.errors import UserError

POLL_SECONDS = 0.5


def useful_workers(requested: int) -> int:
    """Processes that can help: at most one per CPU core this process may use."""
    return max(1, min(requested, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(1)


def _start_worker(parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="viubench-parent-watch").start()
    if initializer is not None:
        initializer(*initargs)


def worker_pool(workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()) -> ProcessPoolExecutor:
    """A spawn-context process pool whose workers exit when this process dies."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )


def lock_path(folder: Path) -> Path:
    """The lock file of ``folder``, kept in the cache so that the folder holds only what it should."""
    from viubench.paths import cache_root

    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:20]
    return cache_root() / "locks" / f"{key}.lock"


@contextmanager
def exclusive(lock_file: Path, what: str, wait: bool = False) -> Iterator[None]:
    """Hold the lock on ``lock_file`` while the block runs. When another process holds it: a one-line
    error naming that process, or, with ``wait``, a line saying so and a wait until it is released."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_file, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            if not wait:
                raise UserError(f"{what} is in use by {holder}; wait for it to finish, or pass --wait") from None
            from viubench.console import console

            console.print(f"waiting for {holder}, which is using {what}", markup=False)
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"viubench pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()
