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
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from allocopt.errors import ExecutorError

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

_shared: Any = None


def _init(context: Any) -> None:
    global _shared
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
        called as k more tasks finish. `fn` must be a module-level function (pickled)."""
        tasks = list(tasks)
        if not tasks:
            return []
        if self.executor.dask:
            return self._map_dask(fn, tasks, progress)
        if self.executor.workers <= 1 or (len(tasks) == 1 and self._pool is None):
            out = []
            for task in tasks:
                out.append(fn(self.context, task))
                if progress:
                    progress(1)
            return out
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.executor.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init, initargs=(self.context,))
        results: list[Any] = [None] * len(tasks)
        pending = {self._pool.submit(_call, fn, task): k for k, task in enumerate(tasks)}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    results[pending.pop(future)] = future.result()
                    if progress:
                        progress(1)
        finally:
            for future in pending:
                future.cancel()
        return results

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
        results: list[Any] = [None] * len(tasks)
        for future in as_completed(futures, loop=self._client.loop):
            results[index[future.key]] = future.result()
            if progress:
                progress(1)
        return results


def run_tasks(fn: Callable[[Any, Any], Any], context: Any, tasks: Sequence[Any],
              executor: Executor = LOCAL, progress: Progress | None = None) -> list[Any]:
    """fn(context, task) for every task, in task order, on workers started for this call."""
    workers = executor.workers if len(tasks) > 1 else 0
    with Session(Executor(workers, executor.dask), context) as session:
        return session.map(fn, tasks, progress)
