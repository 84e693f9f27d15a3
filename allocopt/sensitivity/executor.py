"""Running many scenarios: in this process, on local processes, or on a Dask cluster.

`Session(executor, context).map(fn, tasks)` returns `[fn(context, task) for task in
tasks]`, in the order of `tasks` whatever order they finish in; a session keeps its
workers for every phase of a run (`run_tasks` is a one-phase session). The shared
`context` travels once per worker (a pool initializer locally, a broadcast `scatter`
on Dask), the tasks carry only what differs. Each task's result depends only on its
inputs, so the three ways give identical results.

Local processes are started with `spawn`: a forked child would inherit the parent's
solver thread pools (HiGHS keeps a process-wide scheduler) in an unusable state. As
with any `spawn` pool, a script that calls the library must guard its entry point with
`if __name__ == "__main__":` (the `allocopt` command does).

Stopping (KeyboardInterrupt, i.e. Ctrl-C): `map` cancels what has not started, stops
the workers at once (local processes get SIGTERM, then SIGKILL if they linger, and
are joined; Dask futures are cancelled and the client closed) and raises
`Interrupted` with the results of the tasks that had finished. Local workers ignore
SIGINT themselves: a terminal's Ctrl-C reaches the whole process group, and only the
parent decides what an interrupt means. In this process, each task runs on a helper
thread the caller waits on (`interruptible`), so Ctrl-C stops the wait at once rather
than when the solver next returns to Python.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from allocopt.errors import ExecutorError, Interrupted

Progress = Callable[[int], None]
Phases = Callable[[str, int], Progress]
"""progress(label, total) -> update: called once per phase of a run (e.g. "12 points",
12 tasks); update(k) is then called as k more of its tasks finish."""


def phase(progress: Phases | None, label: str, total: int) -> Progress | None:
    return progress(label, total) if progress and total else None


@dataclass(frozen=True)
class Executor:
    """Where tasks run: `workers` local processes (0 or 1: in this process), or the Dask
    scheduler at `dask` (an address such as tcp://10.0.0.5:8786) when given."""

    workers: int = 2
    dask: str | None = None

    @property
    def label(self) -> str:
        if self.dask:
            return f"dask at {self.dask}"
        return "this process" if self.workers <= 1 else f"{self.workers} local processes"


LOCAL = Executor()
"""The default: two local worker processes."""

# A local worker still alive this long after SIGTERM is killed.
TERMINATE_GRACE_S = 2.0

_shared: Any = None


def _init(context: Any) -> None:
    """In each worker: keep the shared context, and leave Ctrl-C to the parent."""
    global _shared
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _shared = context


def _call(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(_shared, task)


class Session:
    """The workers of one run, started on first use and kept for every phase of it:
    `with Session(executor, context) as session: session.map(fn, tasks)`."""

    def __init__(self, executor: Executor, context: Any) -> None:
        self.executor = executor
        self.context = context
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        self._shared: Any = None
        self._finished: list[list[Any]] = []  # the results of each phase done so far

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def map(self, fn: Callable[[Any, Any], Any], tasks: Sequence[Any],
            progress: Progress | None = None) -> list[Any]:
        """fn(context, task) for every task, results in task order; `progress(k)` is
        called as k more tasks finish. `fn` must be a module-level function (pickled).
        On KeyboardInterrupt, stops the workers and raises Interrupted: the finished
        tasks' results, and those of the session's earlier phases."""
        tasks = list(tasks)
        if not tasks:
            results: list[Any] = []
        elif self.executor.dask:
            results = self._map_dask(fn, tasks, progress)
        elif self.executor.workers <= 1 or (len(tasks) == 1 and self._pool is None):
            results = self._map_here(fn, tasks, progress)
        else:
            results = self._map_local(fn, tasks, progress)
        self._finished.append(results)
        return results

    def _interrupted(self, done: dict[int, Any], total: int) -> Interrupted:
        return Interrupted(done, total, tuple(self._finished))

    def _map_here(self, fn: Callable[[Any, Any], Any], tasks: list[Any],
                  progress: Progress | None) -> list[Any]:
        done: dict[int, Any] = {}
        try:
            for k, task in enumerate(tasks):
                done[k] = interruptible(fn, self.context, task)
                if progress:
                    progress(1)
        except KeyboardInterrupt:
            raise self._interrupted(done, len(tasks)) from None
        return [done[k] for k in range(len(tasks))]

    def _map_local(self, fn: Callable[[Any, Any], Any], tasks: list[Any],
                   progress: Progress | None) -> list[Any]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.executor.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init, initargs=(self.context,))
        done: dict[int, Any] = {}
        pending: dict[Any, int] = {}
        try:
            with _sigint_blocked():  # workers start on submit: see _sigint_blocked
                pending = {self._pool.submit(_call, fn, task): k
                           for k, task in enumerate(tasks)}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    done[pending.pop(future)] = future.result()
                    if progress:
                        progress(1)
        except KeyboardInterrupt:
            self._stop_pool()
            raise self._interrupted(done, len(tasks)) from None
        finally:
            for future in pending:
                future.cancel()
        return [done[k] for k in range(len(tasks))]

    def _stop_pool(self) -> None:
        """Stop the local workers now, mid-solve: SIGTERM, SIGKILL after
        TERMINATE_GRACE_S, each joined; then the pool's own thread and queues.

        The futures are left to the pool: seeing its workers gone, it fails every
        unfinished one and closes its queues (cancelling them first would race it)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # ProcessPoolExecutor gains terminate_workers() only in Python 3.14.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(TERMINATE_GRACE_S)
            if process.is_alive():
                process.kill()
                process.join()
        pool.shutdown(wait=True, cancel_futures=True)

    def _map_dask(self, fn: Callable[[Any, Any], Any], tasks: list[Any],
                  progress: Progress | None) -> list[Any]:
        address = self.executor.dask
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise ExecutorError("--dask needs the distributed package: "
                                "pip install 'dask[distributed]'") from None
        if self._client is None:
            try:
                self._client = Client(address, timeout="20s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExecutorError(f"cannot reach the Dask scheduler at {address}: "
                                    f"{exc}") from None
            self._shared = self._client.scatter(self.context, broadcast=True)
        futures = [self._client.submit(fn, self._shared, task, pure=False) for task in tasks]
        index = {f.key: k for k, f in enumerate(futures)}
        done: dict[int, Any] = {}
        try:
            for future in as_completed(futures, loop=self._client.loop):
                done[index[future.key]] = future.result()
                if progress:
                    progress(1)
        except KeyboardInterrupt:
            client, self._client = self._client, None
            client.cancel(futures)
            client.close()
            raise self._interrupted(done, len(tasks)) from None
        return [done[k] for k in range(len(tasks))]


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked on this thread while the block runs. A worker process inherits the
    mask of the thread that starts it, so it cannot be stopped by a Ctrl-C that comes
    before its initializer ignores SIGINT (the pool starts workers as tasks are
    submitted); this process still receives the signal on its other threads, or as
    soon as the block ends. multiprocessing's resource tracker is started the same way."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def interruptible(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn(*args, **kwargs) on a helper thread, which the calling thread waits for in
    short joins. Python runs signal handlers on the main thread between bytecodes only:
    a solver holding the main thread in C code would defer Ctrl-C until it returned.
    So a KeyboardInterrupt reaches the caller at once; the call it abandons runs on
    until its solver returns (the solvers release the GIL), and its answer is dropped."""
    answer: list[Any] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            answer.append(fn(*args, **kwargs))
        except BaseException as exc:  # re-raised on the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="allocopt-task", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)
    if failure:
        raise failure[0]
    return answer[0]


def run_tasks(fn: Callable[[Any, Any], Any], context: Any, tasks: Sequence[Any],
              executor: Executor = LOCAL, progress: Progress | None = None) -> list[Any]:
    """fn(context, task) for every task, in task order, on workers started for this call."""
    workers = executor.workers if len(tasks) > 1 else 0
    with Session(Executor(workers, executor.dask), context) as session:
        return session.map(fn, tasks, progress)
