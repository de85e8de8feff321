"""A learning run of an atomic commit protocol, recorded in the store like a
Reliable Broadcast run: start, checkpoint, pause, resume after kill -9, finish.

The run plays episodes with one of the two learners and verifies the greedy
machine every `check_every` episodes (the learners' own rhythm); it finishes
at the first machine the built-in verifier accepts (the paper's measure: the
time until a correct protocol) or after the planned episodes. It checkpoints
only right after a verification, where nothing of the learner lives outside
its state: so the learner's whole state (network weights, Adam moments,
replay buffer, generators; or the Q-table) restored from the store makes the
resumed run follow exactly the episodes of the run left uninterrupted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, cast

import numpy as np

from ..errors import RbError, StoreError
from ..store import Row, Store
from . import checker
from .learner_dqn import DQNLearner, threadpool_limits
from .learner_tabular import TabularLearner
from .machine import Machine
from .model import Model, Run
from .properties import PROPERTY_SETS

PROBLEM = "atomic-commit"
LEARNERS = ("dqn", "tabular")
RUNNING, PAUSED, FINISHED, FAILED = "running", "paused", "finished", "failed"
#: The learners a run may use.
ACLearner = DQNLearner | TabularLearner


class RunConfigError(RbError):
    """An atomic commit run configuration that cannot be used."""


@dataclass(frozen=True)
class ACRunConfig:
    """What an atomic commit run is, stored with it (runs.config)."""

    problem = PROBLEM  # not a field: the registry entry that starts it

    n: int = 3
    rounds: int = 2
    k: int = 1  # unnamed states
    properties: str = "classical"
    learner: str = "dqn"
    episodes: int = 5000
    seed: int | None = None
    f: int | None = None
    partial: bool = True
    check_every: int = 50
    checkpoint_every: int = 500  # episodes; rounded up to a verification

    def validate(self) -> "ACRunConfig":
        if self.learner not in LEARNERS:
            raise RunConfigError(f"unknown learner {self.learner!r} (known: {', '.join(LEARNERS)})")
        if self.properties not in PROPERTY_SETS:
            raise RunConfigError(f"unknown property set {self.properties!r} "
                                 f"(known: {', '.join(PROPERTY_SETS)})")
        if not 0 <= self.k <= 8:
            raise RunConfigError(f"--states: 0..8 unnamed states, got {self.k}")
        for name in ("episodes", "check_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise RunConfigError(f"{name.replace('_', '-')} must be at least 1")
        self.model()  # N, R, f
        return self

    def model(self) -> Model:
        return Model(self.n, self.rounds, f=self.f, partial=self.partial,
                     properties=self.properties)

    def to_dict(self) -> dict[str, Any]:
        return dict(asdict(self), problem=PROBLEM, target="crash", f=self.model().f)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ACRunConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def text(self) -> str:
        return (f"N={self.n} R={self.rounds} K={self.k} {self.properties}"
                + ("" if self.partial else " all-or-nothing"))


@dataclass
class ACProgress:
    run_id: int
    episode: int
    planned: int
    episodes_per_s: float
    verified: int  # machines verified
    first_correct: int | None  # episode
    last_correct: bool | None
    elapsed: float
    status: str = RUNNING


def new_learner(cfg: ACRunConfig) -> ACLearner:
    """The learner of a run (whose config has its seed: drawn at start)."""
    cls: type[ACLearner] = DQNLearner if cfg.learner == "dqn" else TabularLearner
    return cls(cfg.model(), k=cfg.k, seed=cast(int, cfg.seed), check_every=cfg.check_every)


# ---- the learner as bytes --------------------------------------------------------------
def dump_learner(learner: ACLearner) -> tuple[str, bytes]:
    if isinstance(learner, DQNLearner):
        buf = io.BytesIO()
        np.savez_compressed(buf, **learner.state_dict())
        return "dqn-npz", buf.getvalue()
    return "tabular-json-zlib", zlib.compress(json.dumps(learner.state_dict()).encode())


def load_learner(fmt: str, data: bytes) -> ACLearner:
    if fmt == "dqn-npz":
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return DQNLearner.from_state_dict({name: z[name] for name in z.files})
    if fmt == "tabular-json-zlib":
        return TabularLearner.from_state_dict(json.loads(zlib.decompress(data)))
    raise StoreError(f"unknown learner checkpoint format {fmt!r}")


def digest(learner: ACLearner) -> str:
    """A fingerprint of the learner's whole state (the npz bytes carry timestamps)."""
    h = hashlib.sha256()
    if isinstance(learner, DQNLearner):
        for name, value in sorted(learner.state_dict().items()):
            h.update(name.encode())
            h.update(value.tobytes() if isinstance(value, np.ndarray) else str(value).encode())
    else:
        h.update(json.dumps(learner.state_dict(), sort_keys=True).encode())
    return h.hexdigest()[:16]


def _fresh() -> dict[str, Any]:
    return {"episodes_done": 0, "history": [], "verified": 0, "distinct": {},
            "first_correct": None, "last": None, "result": None, "seconds": 0.0}


# ---- the run ---------------------------------------------------------------------------
class ACRun:
    def __init__(self, store: Store, run_id: int, cfg: ACRunConfig, learner: ACLearner,
                 side: dict[str, Any]):
        self.store, self.id, self.cfg, self.learner = store, run_id, cfg, learner
        self.model = cfg.model()
        self.side = side  # the JSON half of the checkpoint
        self.planned = cfg.episodes
        self.status = RUNNING
        self.requested: str | None = None
        self._stop = False
        self._seconds0 = side.get("seconds", 0.0)
        self._t0 = time.perf_counter()

    @classmethod
    def start(cls, store: Store, cfg: ACRunConfig, name: str | None = None) -> "ACRun":
        cfg = cfg.validate()
        if cfg.seed is None:
            # (a SeedSequence made without entropy draws an int)
            cfg = replace(cfg, seed=int(cast(int, np.random.SeedSequence().entropy) % 2**63))
        rid = store.create_run(cfg.to_dict(), cast(int, cfg.seed), cfg.episodes, name,
                               problem=PROBLEM)
        run = cls(store, rid, cfg, new_learner(cfg), _fresh())
        run.checkpoint()
        return run

    @classmethod
    def resume(cls, store: Store, run_id: int | str, episodes: int | None = None,
               force: bool = False) -> "ACRun":
        from ..run import pid_alive
        row = store.run(run_id)
        rid = row["id"]
        if Store.problem_of(row) != PROBLEM:
            raise StoreError(f"run {rid} is not an atomic commit run")
        if row["status"] == RUNNING and not force and row["host"] == socket.gethostname() \
                and pid_alive(row["pid"]):
            raise StoreError(f"run {rid} is still running (pid {row['pid']})")
        cfg = ACRunConfig.from_dict(json.loads(row["config"]))
        side = store.load_checkpoint(rid)
        saved = store.load_learner(rid)
        if side is not None and side.get("result") is not None:
            raise StoreError(f"run {rid} is finished: it found a correct machine at episode "
                             f"{side['first_correct']['episode']}")
        planned = row["episodes_planned"] if episodes is None else episodes
        done = side["episodes_done"] if side else 0
        if planned <= done and row["status"] == FINISHED:
            raise StoreError(f"run {rid} is finished ({done} episodes); give more episodes "
                             f"to continue it")
        if planned < done:
            raise StoreError(f"run {rid} has done {done} episodes already")
        cfg = replace(cfg, episodes=planned)
        if side is None or saved is None:  # killed before its first checkpoint
            side = _fresh()
            learner = new_learner(cfg)
        else:
            learner = load_learner(*saved)
        store.update_run(rid, status=RUNNING, pid=os.getpid(), host=socket.gethostname(),
                         episodes_planned=planned, config=json.dumps(cfg.to_dict()),
                         message=None, request=None)
        return cls(store, rid, cfg, learner, side)

    def stop(self, finish: bool = False) -> None:
        """Pause at the next verification (at most check_every episodes on, where
        a checkpoint is exact; signal and thread safe). There is no optimisation
        episode to finish with: `finish` pauses too."""
        self._stop = True

    @property
    def stopping(self) -> bool:
        return self._stop

    @property
    def episodes_done(self) -> int:
        return self.learner.episodes

    def progress(self, rate: float = 0.0) -> ACProgress:
        fc = self.side["first_correct"]
        last = self.side["last"]
        return ACProgress(self.id, self.learner.episodes, self.planned, rate,
                          self.side["verified"], fc["episode"] if fc else None,
                          None if last is None else last["correct"],
                          self._seconds0 + time.perf_counter() - self._t0, self.status)

    def _verify(self, total: float) -> bool:
        """Check the greedy machine; True when it is correct."""
        L, side = self.learner, self.side
        m = L.machine()
        r = checker.check(m, self.model)
        side["verified"] += 1
        side["history"].append([L.episodes, round(total / self.cfg.check_every, 6), r.correct])
        h = m.hash()
        side["distinct"].setdefault(h, r.correct)
        side["last"] = {"episode": L.episodes, "hash": h, "correct": r.correct,
                        "machine": m.to_json(), "property": r.property,
                        "counterexample": r.counterexample.to_json() if r.counterexample else None}
        if r.correct:
            side["first_correct"] = {"episode": L.episodes, "verified": side["verified"],
                                     "seconds": round(self._seconds0 + time.perf_counter()
                                                      - self._t0, 3), "hash": h}
            side["result"] = m.to_json()
            return True
        cx = cast(Run, r.counterexample)  # incorrect: a counterexample
        L.pool.append((cx.votes, dict(cx.crashes)))
        return False

    def execute(self, progress: Callable[[ACProgress], object] | None = None,
                progress_interval: float = 0.5) -> str:
        with threadpool_limits(1):
            return self._execute(progress, progress_interval)

    def _execute(self, progress: Callable[[ACProgress], object] | None,
                 progress_interval: float) -> str:
        L, every = self.learner, self.cfg.check_every
        last_ckpt = L.episodes
        last_report, last_eps = time.perf_counter(), L.episodes
        total = 0.0
        found = False
        try:
            while L.episodes < self.planned and not found:
                ep = L.episode()
                total += sum(ep.rewards) / len(ep.rewards)
                if L.episodes % every:
                    continue
                found = self._verify(total)
                total = 0.0
                if self._stop:
                    break
                if L.episodes - last_ckpt >= self.cfg.checkpoint_every and not found:
                    self.checkpoint()
                    last_ckpt = L.episodes
                    req = self.store.pending_request(self.id)
                    if req in ("pause", "stop"):
                        self.requested = req
                        self._stop = True
                        break
                now = time.perf_counter()
                if progress is not None and now - last_report >= progress_interval:
                    progress(self.progress((L.episodes - last_eps) / (now - last_report)))
                    last_report, last_eps = now, L.episodes
            msg: str | None
            if found or L.episodes >= self.planned:
                self.status = FINISHED
                fc = self.side["first_correct"]
                msg = (f"correct machine at episode {fc['episode']}" if found else
                       f"no correct machine in {L.episodes} episodes")
            else:
                self.status = PAUSED
                msg = "paused on request from another process" if self.requested else None
            self.checkpoint(status=self.status, message=msg)
        except (KeyboardInterrupt, SystemExit):
            self.status = PAUSED
            try:
                self.store.update_run(self.id, status=PAUSED, message="interrupted")
            except Exception:
                pass
            raise
        except Exception as exc:
            self.status = FAILED
            try:
                self.store.update_run(self.id, status=FAILED,
                                      message=(str(exc).splitlines() or [type(exc).__name__])[0])
            except Exception:
                pass
            raise
        if progress is not None:
            now = time.perf_counter()
            progress(self.progress((L.episodes - last_eps) / max(now - last_report, 1e-9)))
        return self.status

    def checkpoint(self, status: str | None = None, message: str | None = None) -> None:
        """Only right after a verification (or before any episode): see the module's doc."""
        L, side = self.learner, self.side
        side["episodes_done"] = L.episodes
        side["seconds"] = round(self._seconds0 + time.perf_counter() - self._t0, 3)
        side["digest"] = digest(L)
        fmt, data = dump_learner(L)
        last = side["last"]
        fields_: dict[str, Any] = {"episodes_done": L.episodes, "seconds": side["seconds"],
                   "best_hash": last["hash"] if last else None,
                   "result_hash": side["first_correct"]["hash"] if side["first_correct"] else None}
        if status:
            fields_.update(status=status, message=message, request=None)
        self.store.save_learner(self.id, episode=L.episodes, fmt=fmt, data=data, learner=side,
                                run_fields=fields_)


# ---- reading a run back ---------------------------------------------------------------
def report(store: Store, row: Row, full: bool = False) -> dict[str, Any]:
    """An atomic commit run as a user reads it (rbtui runs/show --json, the app)."""
    cfg = ACRunConfig.from_dict(json.loads(row["config"]))
    side = store.load_checkpoint(row["id"]) or {}
    distinct = side.get("distinct", {})
    out: dict[str, Any] = {
        "id": row["id"], "name": row["name"], "problem": PROBLEM, "status": row["status"],
        "target": "crash", "n": cfg.n, "f": cfg.model().f, "rounds": cfg.rounds,
        "states": cfg.k, "properties": cfg.properties, "learner": cfg.learner,
        "seed": row["seed"],
        "episodes": {"done": row["episodes_done"], "planned": row["episodes_planned"]},
        "verified": side.get("verified", 0),
        "candidates": {"correct": sum(1 for v in distinct.values() if v),
                       "incorrect": sum(1 for v in distinct.values() if not v)},
        "seconds": round(row["seconds"] or 0.0, 3), "created": row["created"],
        "updated": row["updated"], "message": row["message"],
        "first_correct": side.get("first_correct"),
        "result": _entry(side.get("result"), cfg, side.get("first_correct", {}) or {}),
        "last": side.get("last"), "digest": side.get("digest"),
    }
    if full:
        out["config"] = cfg.to_dict()
        out["history"] = side.get("history", [])
    return out


def _entry(machine_json: dict[str, Any] | None, cfg: ACRunConfig,
           fc: dict[str, Any]) -> dict[str, Any] | None:
    if machine_json is None:
        return None
    return {"hash": fc.get("hash"), "machine": machine_json}


def machine_of(entry_json: dict[str, Any]) -> Machine:
    return Machine.from_json(entry_json)
