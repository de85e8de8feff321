"""Learning runs owned by the app: each in its own thread worker, with its own
Store connection, reporting progress as RunProgress messages.

The app (not a screen) owns the workers, so a run keeps going while the user
moves between screens; quitting asks every run to pause after the episode in
flight, which checkpoints it, so it is listed as resumable next time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from textual.worker import WorkerCancelled, WorkerFailed

from rbengine.errors import RbError

from .messages import RunEnded, RunProgress, RunStarted

RUNNING, PAUSED, FINISHED, FAILED = "running", "paused", "finished", "failed"
STEPPING, ELSEWHERE, INTERRUPTED = "stepping", "running elsewhere", "interrupted"
STATUS_STYLE = {RUNNING: "green", ELSEWHERE: "green", "pausing elsewhere": "yellow",
                "stopping elsewhere": "yellow", STEPPING: "cyan", PAUSED: "yellow",
                "pausing": "yellow", "stopping": "yellow", INTERRUPTED: "yellow", FAILED: "red"}


def is_elsewhere(status: str) -> bool:
    """A status of status_of() that means another process runs the run."""
    return status.endswith("elsewhere")


def owner_alive(row: dict) -> bool:
    """The process recorded as running the run is alive (on this host) and not this one."""
    import socket

    from rbengine.run import pid_alive
    return row.get("host") == socket.gethostname() and pid_alive(row.get("pid"))


@dataclass
class RunHandle:
    """A run this app is executing (or about to)."""

    key: int
    run_id: int | None = None
    run: Any = None  # rbengine.run.Run, created in the worker
    worker: Any = None
    progress: Any = None  # the last rbengine.run.Progress
    status: str = RUNNING
    done: bool = False  # the worker has finished with the run
    stop_requested: bool = False
    finish_requested: bool = False  # stop, then finish (plan kept)
    error: str | None = None
    # (episode, states explored, distinct candidates) sampled at each progress report
    series: list = field(default_factory=list)

    def request_stop(self, finish: bool = False) -> None:
        self.stop_requested = True
        self.finish_requested = self.finish_requested or finish
        if self.run is not None:
            self.run.stop(finish=self.finish_requested)


class RunManager:
    def __init__(self, app) -> None:
        self.app = app
        self.handles: dict[int, RunHandle] = {}  # by key
        self._keys = itertools.count(1)
        self.progress_interval = 0.25

    # ---- queries --------------------------------------------------------------
    def active(self) -> list[RunHandle]:
        return [h for h in self.handles.values() if not h.done]

    def handle_for(self, run_id: int) -> RunHandle | None:
        for h in self.handles.values():
            if h.run_id == run_id:
                return h
        return None

    def is_active(self, run_id: int) -> bool:
        h = self.handle_for(run_id)
        return h is not None and h in self.active()

    def status_of(self, row: dict) -> str:
        """What a run is doing, seen from this app: running or pausing here,
        stepping (held by the Stepper), running elsewhere (another live
        process owns it), interrupted (its owner is gone: resumable), or the
        status stored (paused, finished, failed)."""
        rid = row["id"]
        h = self.handle_for(rid)
        if h is not None and self.is_active(rid):
            if h.stop_requested:
                return "stopping" if h.finish_requested else "pausing"
            return RUNNING
        holder = self.app.stepper_run_id()
        if holder == rid:
            return STEPPING
        if row.get("status") == RUNNING:
            if not owner_alive(row):
                return INTERRUPTED
            req = row.get("request")
            return {"pause": "pausing elsewhere", "stop": "stopping elsewhere"}.get(req, ELSEWHERE)
        return row.get("status") or "?"

    # ---- control ----------------------------------------------------------------
    def start(self, config, name: str | None = None) -> RunHandle:
        """A new run of `config` (a RunConfig, or a config with a `problem`)."""
        config.validate()
        self.app.require_writable_store()
        h = RunHandle(next(self._keys))
        self.handles[h.key] = h
        self._launch(h, partial(self._open_new, config, name))
        return h

    def resume(self, run_id: int, episodes: int | None = None, finish: bool = False) -> RunHandle:
        """Continue a run in a worker; with `finish`, only its optimisation
        episode, after which it is finished with its plan kept."""
        if self.is_active(run_id):
            raise RbError(f"run {run_id} is already running")
        self.app.require_writable_store()
        holder = self.app.stepper_run_id()
        if holder == run_id:
            raise RbError(f"run {run_id} is open in the Stepper: open another run there first")
        old = self.handle_for(run_id)
        h = RunHandle(next(self._keys), run_id=run_id, series=list(old.series) if old else [],
                      finish_requested=finish, stop_requested=finish)
        if old is not None:
            del self.handles[old.key]
        self.handles[h.key] = h
        self._launch(h, partial(self._open_existing, h, episodes, finish))
        return h

    def pause(self, run_id: int) -> bool:
        """Pause a run of this app, or ask the process running it elsewhere
        (through the store); False when it is running nowhere."""
        h = self.handle_for(run_id)
        if h is None or h not in self.active():
            return self._request_elsewhere(run_id, "pause")
        h.request_stop()
        return True

    def finish(self, run_id: int) -> None:
        """Stop a run for good: after the episode in flight it runs the
        optimisation episode and is finished, its plan kept (resumable).
        A run of another process is asked to, through the store."""
        h = self.handle_for(run_id)
        if h is not None and h in self.active():
            h.request_stop(finish=True)
        elif not self._request_elsewhere(run_id, "stop"):
            self.resume(run_id, finish=True)

    def _request_elsewhere(self, run_id: int, what: str) -> bool:
        store = self.app.store
        if store is None:
            return False
        row = store.run(run_id)
        if row["status"] != RUNNING or not owner_alive(row):
            return False
        self.app.require_writable_store()
        return store.request(run_id, what)

    def stop_all(self) -> None:
        for h in self.active():
            h.request_stop()

    async def wait_all(self) -> None:
        for h in self.active():
            try:
                await h.worker.wait()
            except (WorkerCancelled, WorkerFailed):
                pass

    # ---- workers --------------------------------------------------------------------
    def _launch(self, h: RunHandle, open_run) -> None:
        """Run `open_run()` (returns (run, store)) then the run itself, in a thread worker."""
        def body() -> None:
            status, error = FAILED, None
            try:
                run, store = open_run()
            except Exception as exc:
                error = _text(exc)
            else:
                status, error = self._execute(h, run, store)
            h.status, h.error = status, error
            h.done = True  # before RunEnded: a resume on that message must not see it running
            self.app.post_message(RunEnded(h.key, h.run_id, status, error))

        h.worker = self.app.run_worker(body, thread=True, exclusive=True, exit_on_error=False,
                                       group=f"run-{h.key}", name=f"run {h.run_id or 'new'}")

    def _store(self):
        from rbengine.store import Store
        return Store(self.app.db_path, create=False)

    def _open_new(self, config, name: str | None):
        from rbengine import problem
        store = self._store()
        entry = problem.get(getattr(config, "problem", None))
        return entry.start_run(store, config, name), store

    def _open_existing(self, h: RunHandle, episodes: int | None, finish: bool):
        from rbengine import problem
        store = self._store()
        entry = problem.for_run(store.run(h.run_id))
        return entry.resume_run(store, h.run_id, episodes=episodes), store

    def _execute(self, h: RunHandle, run, store) -> tuple[str, str | None]:
        h.run, h.run_id = run, run.id
        if h.stop_requested:
            run.stop(finish=h.finish_requested)
        self.app.post_message(RunStarted(h.key, run.id))

        def report(progress) -> None:
            self.app.post_message(RunProgress(h.key, run.id, progress))

        try:
            return run.execute(progress=report, progress_interval=self.progress_interval), None
        except Exception as exc:
            return FAILED, _text(exc)
        finally:
            store.close()

    # ---- messages (UI thread) --------------------------------------------------------
    def on_progress(self, message: RunProgress) -> RunHandle | None:
        h = self.handles.get(message.key)
        if h is None:
            return None
        p = message.progress
        h.progress = p
        h.status = p.status
        # an atomic commit run has no states or candidates of its episodes
        point = (p.episode, getattr(p, "states", 0),
                 getattr(p, "distinct_correct", 0) + getattr(p, "distinct_incorrect", 0))
        if not h.series or h.series[-1][0] < p.episode:
            h.series.append(point)
        return h


def _text(exc: BaseException) -> str:
    if isinstance(exc, RbError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
