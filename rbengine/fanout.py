"""Fanning independent work out over Dask distributed, the project's one engine for it.

By default a LocalCluster of worker processes on this machine (one thread each:
the oracle is CPU-bound Python, so processes, not threads, give parallelism);
with ``scheduler`` an existing cluster (``dask scheduler`` / ``dask worker``,
or dask-jobqueue on a batch system). Tasks are module-level functions with
picklable arguments, so any worker on any host can run them.

A worker that dies in the middle of a task is replaced by the scheduler and its
task is run again elsewhere (Dask's own resilience); a task that raises has its
exception re-raised here, in the caller.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from .errors import RbError

_T = TypeVar("_T")  # a task's argument
_R = TypeVar("_R")  # a task's result


class FanoutError(RbError):
    """The Dask cluster cannot be used (scheduler unreachable, no workers, ...)."""


def default_workers() -> int:
    """One worker process per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class Fanout:
    """A Dask client for the duration of a ``with`` block.

    ``workers``: size of the LocalCluster started (and stopped) here; None =
    default_workers(). ``scheduler``: address of an existing scheduler (then
    no cluster is started). ``timeout``: seconds to wait for the scheduler.
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None,
                 timeout: float = 10.0, memory_limit: str | int | None = "auto") -> None:
        if workers is not None and workers < 1:
            raise FanoutError(f"workers must be at least 1, got {workers}")
        self.requested = workers
        self.scheduler = scheduler
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.cluster: Any = None
        self.client: Any = None

    # ---- lifetime -------------------------------------------------------------
    def __enter__(self) -> "Fanout":
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise FanoutError(f"Dask distributed is not installed ({exc})") from None
        # Dask logs every worker start/stop at INFO, a killed worker at WARNING and
        # a lost scheduler at ERROR, with tracebacks: the command's own progress
        # line and its one-line error are what a user reads.
        for name in ["distributed"] + [n for n in logging.root.manager.loggerDict
                                       if n.startswith("distributed.")]:
            logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            if self.scheduler:
                self.client = Client(self.scheduler, timeout=f"{self.timeout}s")
            else:
                self.cluster = LocalCluster(
                    n_workers=self.requested or default_workers(), threads_per_worker=1,
                    processes=True, dashboard_address=None, host="127.0.0.1",
                    memory_limit=self.memory_limit, silence_logs=logging.ERROR,
                    # no dashboard, but the scheduler's HTTP server still listens: on
                    # any free port, not 8787 (taken by another cluster: a warning)
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
                self.client = Client(self.cluster, timeout=f"{self.timeout}s")
        except (OSError, TimeoutError) as exc:
            self.close()
            where = self.scheduler or "a local cluster"
            raise FanoutError(f"cannot reach the Dask scheduler at {where}: "
                              f"{_one_line(exc)}") from None
        if self.scheduler:
            try:
                self.client.wait_for_workers(1, timeout=self.timeout)
            except (OSError, TimeoutError):
                self.close()
                raise FanoutError(f"the Dask scheduler at {self.scheduler} has no workers "
                                  f"(waited {self.timeout:g} s)") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for thing in (self.client, self.cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # closing is best effort: the work is done or lost
                    pass
        self.client = self.cluster = None

    # ---- work -------------------------------------------------------------------
    @property
    def workers(self) -> int:
        """Workers the scheduler knows now."""
        if self.client is None:
            return 0
        return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def map(self, fn: Callable[[_T], _R], items: Iterable[_T], *,
            pure: bool = False) -> Iterator[tuple[int, _R]]:
        """(index, fn(item)) for every item, as tasks complete (not in order).

        Leaving the loop early cancels the tasks not yet done.
        """
        if self.client is None:
            raise FanoutError("Fanout used outside its with-block")
        from distributed import as_completed
        items = list(items)
        futures = self.client.map(fn, items, pure=pure)
        index = {f.key: i for i, f in enumerate(futures)}
        done = 0
        try:
            for fut in as_completed(futures):
                result = fut.result()  # re-raises the task's exception here
                done += 1
                yield index[fut.key], result
        finally:
            if done < len(futures):
                self.client.cancel([f for f in futures if not f.done()])


    def stream(self, fn: Callable[[_T], _R], items: Iterable[_T], window: int | None = None,
               *, pure: bool = False) -> Iterator[tuple[int, _R]]:
        """(index, fn(item)) as tasks complete, taking items lazily: at most
        `window` tasks in flight (default: twice the workers), so an endless or
        costly iterator of items is read only as fast as the cluster works.

        Leaving the loop early cancels the tasks in flight.
        """
        if self.client is None:
            raise FanoutError("Fanout used outside its with-block")
        from distributed import as_completed
        window = window or max(2, 2 * max(1, self.workers))
        it = iter(enumerate(items))
        index: dict[str, int] = {}
        pending: set[Any] = set()  # distributed.Future
        ac = as_completed()

        def submit_one() -> bool:
            try:
                i, item = next(it)
            except StopIteration:
                return False
            fut = self.client.submit(fn, item, pure=pure)
            index[fut.key] = i
            pending.add(fut)
            ac.add(fut)
            return True

        try:
            while len(pending) < window and submit_one():
                pass
            while pending:
                fut = next(ac)
                pending.discard(fut)
                result = fut.result()  # re-raises the task's exception here
                i = index.pop(fut.key)
                yield i, result
                while len(pending) < window and submit_one():
                    pass
        finally:
            # after an interrupt the with-block may have closed the client
            # before the generator is finalised: nothing is left to cancel then
            if pending and self.client is not None:
                self.client.cancel(list(pending))


class Serial:
    """The same interface as Fanout, in this process: a one-process search, the
    reference the distributed ones are compared with, and no Dask at all."""

    workers = 1

    def __enter__(self) -> "Serial":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def map(self, fn: Callable[[_T], _R], items: Iterable[_T], *,
            pure: bool = False) -> Iterator[tuple[int, _R]]:
        for i, item in enumerate(items):
            yield i, fn(item)

    def stream(self, fn: Callable[[_T], _R], items: Iterable[_T], window: int | None = None,
               *, pure: bool = False) -> Iterator[tuple[int, _R]]:
        return self.map(fn, items)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
