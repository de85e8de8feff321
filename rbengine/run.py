"""A learning run (the paper's "simulation"): start, pause, resume, finish.

A run checkpoints after every `checkpoint_every` episodes, in one transaction
holding the new episodes, candidates, verdicts, changed Q values, new dead
states, the random generator's state and the learner's counters. So a kill -9
loses at most the episodes since the last checkpoint, and a resumed seeded run
ends with exactly the Q-table and result of the same run left uninterrupted.
Pausing is cooperative: ``stop()`` (from a signal handler, another thread, a
user interface) ends the run after the episode in flight, which is checkpointed.
Another process asks through the store (``Store.request``): the run looks for
a request after its checkpoints and honours it the same way.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np

from .cache import VerdictCache
from .candidate import Candidate
from .config import RunConfig
from .errors import OracleError, StoreError
from .learner import Learner
from .state import State, action_from_text
from .store import Store

RUNNING, PAUSED, FINISHED, FAILED = "running", "paused", "finished", "failed"
REQUEST_POLL = 0.2  # seconds between two looks at the store for a pause/stop request


@dataclass
class Progress:
    """What a progress bar shows; sent every `progress_interval` seconds."""

    run_id: int
    episode: int
    planned: int
    episodes_per_s: float
    cache_hit_rate: float
    correct: int  # episodes whose candidate was correct
    incorrect: int
    distinct_correct: int
    distinct_incorrect: int
    states: int
    best_cost: tuple[float, ...] | None  # (messages, steps, to deliver, -runtime reward)
    best: str | None  # best candidate, compact notation
    elapsed: float
    status: str = RUNNING

    def cost_text(self) -> str:
        if self.best_cost is None:
            return "-"
        m, s, d = self.best_cost[:3]
        return f"{m} msgs/{s} steps/{d} to deliver"


def pid_alive(pid: int | None) -> bool:
    if not pid or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process not yet reaped is a zombie: not running
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


class Run:
    def __init__(self, store: Store, run_id: int, learner: Learner, planned: int):
        self.store = store
        self.id = run_id
        self.learner = learner
        self.planned = planned
        self._stop = False
        self._finish = False  # stop() with finish=True: finish instead of pausing
        self.requested: str | None = None  # a request from another process, honoured
        self._since_checkpoint = 0
        row = store.run(run_id)
        self._hits0 = row["cache_hits"] or 0
        self._misses0 = row["cache_misses"] or 0
        self._seconds0 = row["seconds"] or 0.0
        self._t0 = time.perf_counter()
        self.status: str = row["status"]
        self._held: tuple[str, int, str | None] | None = None  # (status, planned, message) before hold()

    # ---- creation ----------------------------------------------------------
    @classmethod
    def start(cls, store: Store, config: RunConfig, name: str | None = None) -> "Run":
        config = config.validate()
        # record GH6/GH10's maxima as used, not as "the vocabulary's"
        config = replace(config, heuristics=config.heuristics.resolved(config.vocab()))
        if config.seed is None:
            # (a SeedSequence made without entropy draws an int)
            config = replace(config, seed=int(cast(int, np.random.SeedSequence().entropy) % 2**63))
        run_id = store.create_run(config.to_dict(), cast(int, config.seed), config.episodes, name)
        return cls(store, run_id, cls._learner(store, config), config.episodes)

    @staticmethod
    def _learner(store: Store, config: RunConfig) -> Learner:
        cache = VerdictCache(config.target, config.n, config.f, config.attacker,
                             config.backend, store=store, sizes=config.sizes)
        return Learner(config, cache=cache)

    @classmethod
    def resume(cls, store: Store, run_id: int | str, episodes: int | None = None,
               force: bool = False) -> "Run":
        """Continue a paused, killed or (with more episodes) finished run
        from its last checkpoint."""
        row = store.run(run_id)
        rid = row["id"]
        if row["status"] == RUNNING and not force and row["host"] == socket.gethostname() \
                and pid_alive(row["pid"]):
            raise StoreError(f"run {rid} is still running (pid {row['pid']})")
        planned = row["episodes_planned"] if episodes is None else episodes
        if row["status"] == FINISHED and planned <= row["episodes_done"]:
            raise StoreError(f"run {rid} is finished ({row['episodes_done']} episodes); "
                             f"give more episodes to continue it")
        if planned < row["episodes_done"]:
            raise StoreError(f"run {rid} has done {row['episodes_done']} episodes already")
        config = RunConfig.from_dict(json.loads(row["config"]))
        config = replace(config, episodes=planned)
        learner = cls._learner(store, config)
        ckpt = store.load_checkpoint(rid)
        if ckpt is not None:
            learner.load_state(ckpt)
            idx = learner.index
            for r in store.qtable_rows(rid):
                learner.qt.set(State.from_text(r["state"], idx), idx[action_from_text(r["action"])],
                               r["q"], r["visits"])
            for text in store.dead_states(rid):
                learner.dead.add(State.from_text(text, idx), new=False)
            learner.known = store.known_verdicts(rid)
            for h in learner.descended:  # verdicts of descents, not of episodes
                learner.known.setdefault(h, True)
            # the run's correct candidates are in the store (its checkpoints wrote them)
            learner.restore_correct(cast("Iterable[Candidate]", (
                store.candidate(h) for h, ok in learner.known.items() if ok)))
        store.update_run(rid, status=RUNNING, pid=os.getpid(), host=socket.gethostname(),
                         episodes_planned=planned, config=json.dumps(config.to_dict()),
                         message=None, request=None)
        return cls(store, rid, learner, planned)

    @classmethod
    def hold(cls, store: Store, run_id: int | str) -> "Run":
        """Open a run to step it by hand (the Stepper). Episodes stepped are
        added to the run, but release() gives back its status, plan and
        message: stepping a finished run leaves it finished, a paused one paused."""
        row = store.run(run_id)
        was = row["status"]
        if was == RUNNING:  # resume() refuses a live owner; a dead one left it resumable
            was = PAUSED
        run = cls.resume(store, row["id"],
                         episodes=max(row["episodes_planned"], row["episodes_done"] + 1))
        run._held = (was, row["episodes_planned"], row["message"])
        return run

    def release(self) -> None:
        """Checkpoint a held run and give it back as it was (see hold());
        a run started to be stepped is left paused."""
        was, planned, message = self._held or (PAUSED, self.planned, None)
        planned = max(planned, self.learner.episodes_done)
        config = replace(self.learner.config, episodes=planned)
        self.status = was
        self.planned = planned
        self.checkpoint(status=was, message=message,
                        extra={"episodes_planned": planned,
                               "config": json.dumps(config.to_dict())})
        self._held = None

    # ---- control -------------------------------------------------------------
    def stop(self, finish: bool = False) -> None:
        """Ask the run to pause after the episode in flight (thread/signal safe);
        with `finish`, to run the optimisation episode and finish instead. A run
        finished early keeps its plan: resuming it continues towards the plan."""
        self._finish = self._finish or finish
        self._stop = True

    @property
    def stopping(self) -> bool:
        return self._stop

    # ---- the loop ------------------------------------------------------------
    def execute(self, progress: Callable[[Progress], object] | None = None,
                progress_interval: float = 0.5) -> str:
        """Run episodes until the planned number, a stop() or an exhausted
        space; then the optimisation episode. Returns the final status."""
        L = self.learner
        every = L.config.checkpoint_every
        last_report = time.perf_counter()
        last_eps = L.episodes_done
        last_poll = time.perf_counter()
        try:
            while L.episodes_done < self.planned and not self._stop and not L.exhausted:
                try:
                    L.run_episode(cancel=lambda: self._stop)
                except OracleError:
                    if self._stop:
                        break
                    raise
                self._since_checkpoint += 1
                if self._since_checkpoint >= every:
                    self.checkpoint()
                now = time.perf_counter()
                if not self._stop and now - last_poll >= REQUEST_POLL:
                    last_poll = now
                    self._take_request()
                if progress is not None and now - last_report >= progress_interval:
                    rate = (L.episodes_done - last_eps) / (now - last_report)
                    progress(self.progress(rate))
                    last_report, last_eps = now, L.episodes_done
            if self._stop and not self._finish and L.episodes_done < self.planned \
                    and not L.exhausted:
                self.status = PAUSED
                self.checkpoint(status=PAUSED, message="paused on request from another process"
                                if self.requested else None)
            else:
                if L.config.optimise:
                    L.optimise()
                msg = (f"every candidate the heuristics allow is known incorrect "
                       f"(after {L.episodes_done} episodes)") if L.exhausted else None
                if msg is None and L.episodes_done < self.planned:
                    msg = (f"stopped at {L.episodes_done} of {self.planned} episodes; "
                           f"resuming continues towards {self.planned}")
                self.status = FINISHED
                self.checkpoint(status=FINISHED, message=msg)
        except (KeyboardInterrupt, SystemExit):
            # an interrupt may have hit anywhere: keep the last checkpoint as it is
            self.status = PAUSED
            try:
                self.store.update_run(self.id, status=PAUSED, message="interrupted")
            except Exception:
                pass
            raise
        except Exception as exc:
            # keep the completed episodes; the one in flight was rolled back
            msg = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
            self.status = FAILED
            try:
                self.checkpoint(status=FAILED, message=msg)
            except Exception:
                pass
            raise
        if progress is not None:
            now = time.perf_counter()
            rate = (L.episodes_done - last_eps) / max(now - last_report, 1e-9)
            progress(self.progress(rate))
        return self.status

    def _take_request(self) -> None:
        """Honour a pause or stop request recorded in the store by another process."""
        req = self.store.pending_request(self.id)
        if req in ("pause", "stop"):
            self.requested = req
            self.stop(finish=req == "stop")

    def progress(self, rate: float = 0.0) -> Progress:
        L = self.learner
        best = L.best
        return Progress(self.id, L.episodes_done, self.planned, rate, L.cache.hit_rate,
                        L.correct_episodes, L.incorrect_episodes, L.distinct_correct,
                        L.distinct_incorrect, len(L.qt), best.cost if best else None,
                        best.candidate.notation().replace("\n", " | ") if best else None,
                        self._seconds0 + time.perf_counter() - self._t0, self.status)

    def checkpoint(self, status: str | None = None, message: str | None = None,
                   extra: dict[str, Any] | None = None) -> None:
        L = self.learner
        outcomes, cands = L.drain()
        episodes = [{"run_id": self.id, "episode": o.episode,
                     "candidate_hash": o.candidate_hash, "correct": int(cast(bool, o.correct)),
                     "cached": int(o.cached), "accumulated": o.accumulated, "bonus": o.bonus,
                     "states": o.states_explored, "seconds": o.seconds, "new_dead": o.new_dead}
                    for o in outcomes]
        fields = {
            "episodes_done": L.episodes_done, "correct_episodes": L.correct_episodes,
            "incorrect_episodes": L.incorrect_episodes, "distinct_correct": L.distinct_correct,
            "distinct_incorrect": L.distinct_incorrect, "states": len(L.qt),
            "cache_hits": self._hits0 + L.cache.hits, "cache_misses": self._misses0 + L.cache.misses,
            "seconds": self._seconds0 + time.perf_counter() - self._t0,
            "best_hash": L.best.candidate.content_hash() if L.best else None,
        }
        if L.best:
            cands.setdefault(L.best.candidate.content_hash(), L.best.candidate)
        if L.final is not None:
            fields["final_hash"] = L.final.candidate_hash or None
            fields["final_correct"] = None if L.final.correct is None else int(L.final.correct)
        res = L.result
        fields["result_hash"] = res.content_hash() if res else None
        if status:
            fields["status"] = status
            fields["message"] = message
            fields["request"] = None  # honoured, or void once the run stops running
        fields.update(extra or {})
        self.store.checkpoint(
            self.id, episodes=episodes, candidates=cands,
            verdicts=L.cache.drain(), q_rows=L.qt.drain(L.actions),
            dead=[s.text(L.actions) for s in L.dead.drain()], learner=L.state_dict(),
            run_fields=fields)
        self._since_checkpoint = 0
