"""The certified cheapest correct candidates of a space: an exhaustive search
in the cost order (rbengine.space), verified in batches on Dask workers.

A learning run is judged against the cheapest correct candidate of its
space; only an exhaustive search can say which it is. Candidates are
verified cheapest level first (a level is a total reward), in batches that
run on the workers of an rbengine.fanout cluster, and the search ends when
every level up to the first one holding a correct candidate is verified: the
correct candidates of that level, in the cost order, are then *certified*
(every cheaper candidate has a recorded incorrect verdict: its own, or that
of a renaming of its types the search verified, which is the same verdict,
rbengine.renaming). ``all`` verifies the whole space, for the histogram of
correct and incorrect candidates per total reward.

State lives in the store. Each completed batch is one transaction holding
its verdicts (in the verdict cache learning runs use, so neither checks a
candidate the other has checked), the search's own rows (hash, total reward,
verdict) and its counters; a kill -9 loses at most the batches in flight,
and a resumed search skips what is recorded and reaches the same answer,
since the order and the verdicts are deterministic. Workers keep, per
process, one verdict cache per configuration and the backends' own caches
(Spin's compiled verifiers), so a batch costs only its verifications.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from .cache import VerdictCache, VerdictRecord
from .candidate import Candidate
from .config import RunConfig
from .errors import RbError, StoreError
from .fanout import Fanout, FanoutError, Serial
from .renaming import renamings
from .space import Space, identity, identity_key, levels_json, space_config, unpack
from .state import State
from .store import Store, VerdictRow, verdict_row

if TYPE_CHECKING:
    from .action import Action
    from .learner import Rank

RUNNING, PAUSED, FINISHED, FAILED = "running", "paused", "finished", "failed"

#: A worker's task (verify_batch): config JSON, then per candidate its hash, its
#: packed final state and the (size key, record) already known for it.
Task = tuple[str, list[tuple[str, bytes, list[tuple[str, VerdictRecord]]]]]
#: A candidate still to verify (Search._todo): hash, total reward, final state,
#: candidate, the (size key, record) already known.
_Todo = tuple[str, float, State, Candidate, list[tuple[str, VerdictRecord]]]
#: A candidate whose verdict the shared cache holds: hash, reward, state, correct.
_Local = tuple[str, float, State, bool]


class SearchError(RbError):
    """A search that cannot be started or resumed as asked."""


def make_cache(config: RunConfig, store: Store | None = None) -> VerdictCache:
    """The verdict cache of a configuration, as learning runs build it: one
    verdict per size, cheapest size first, stopping at the first failure."""
    return VerdictCache(config.target, config.n, config.f, config.attacker, config.backend,
                        store=store, sizes=config.sizes)


# ---------------------------------------------------------------- workers --
_CACHES: dict[str, tuple[VerdictCache, list[Action]]] = {}


def verify_batch(task: Task) -> dict[str, Any]:
    """A task: verify a batch of candidates. Runs on a worker; everything in
    and out is plain data: (config JSON, [(hash, packed candidate (see
    rbengine.space), [(size key, record) already known])]). Only the sizes
    not known are checked."""
    config_text, items = task
    hit = _CACHES.get(config_text)
    if hit is None:
        cfg = RunConfig.from_dict(json.loads(config_text))
        hit = _CACHES[config_text] = (make_cache(cfg), cfg.vocab().actions())
    cache, actions = hit
    wide = len(actions) > 255
    t0 = time.perf_counter()
    out: list[tuple[str, bool]] = []
    for h, packed, known in items:
        for key, rec in known:
            cache.memory[(h, key)] = rec
        out.append((h, cache.correct(unpack(packed, wide).candidate(actions), h=h)))
    verdicts = [verdict_row(*v) for v in cache.drain()]
    cache.memory.clear()  # every candidate is verified once: nothing to reuse
    return {"results": out, "verdicts": verdicts, "seconds": time.perf_counter() - t0,
            "pid": os.getpid(), "host": socket.gethostname()}


# ----------------------------------------------------------- configuration --
def search_config(config: RunConfig) -> RunConfig:
    """What a search keeps of a run configuration: the space and the backend."""
    base = RunConfig()
    return replace(space_config(config), episodes=base.episodes, seed=None,
                   checkpoint_every=base.checkpoint_every).validate()


def _leaves(d: object, path: str = "") -> Iterator[tuple[str, object]]:
    if isinstance(d, dict):
        for k in sorted(d, key=str):
            yield from _leaves(d[k], f"{path}.{k}" if path else str(k))
    else:
        yield path, d


def difference(stored: RunConfig, given: RunConfig) -> str | None:
    """The first difference between two spaces, named, or None."""
    a, b = identity(stored), identity(given)
    if a == b:  # e.g. an attacker given to a crash search: the same space
        return None
    sa, sb = stored.to_dict(), given.to_dict()
    for name in ("target", "attacker", "n", "f", "sizes", "vocabulary"):
        if sa.get(name) != sb.get(name):
            return f"{name}: {sa.get(name)!r} (the search) vs {sb.get(name)!r} (given)"
    la, lb = dict(_leaves(a)), dict(_leaves(b))
    for k in sorted(set(la) | set(lb)):
        if la.get(k) != lb.get(k):
            return f"{k}: {la.get(k)!r} (the search) vs {lb.get(k)!r} (given)"
    return "the configuration differs"


# ---------------------------------------------------------------- progress --
@dataclass
class Progress:
    """What a progress bar shows."""

    search_id: int
    verified: int
    total: int
    level: float | None  # the cheapest level not yet fully verified
    rate: float  # candidates verified per second, this session
    correct: int
    incorrect: int
    best: str | None  # cheapest correct candidate found so far (notation)
    best_reward: float | None
    elapsed: float
    status: str = RUNNING

    @property
    def eta(self) -> float | None:
        """Seconds to verify the rest of the space at the current rate (an
        upper bound when the search stops at its first correct level)."""
        if self.rate <= 0 or self.verified >= self.total:
            return None
        return (self.total - self.verified) / self.rate


@dataclass
class Level:
    reward: float
    total: int
    correct: int = 0
    incorrect: int = 0

    @property
    def done(self) -> bool:
        return self.correct + self.incorrect >= self.total


# ------------------------------------------------------------------ search --
class Search:
    """One search recorded in a store."""

    def __init__(self, store: Store, search_id: int, config: RunConfig, all_: bool,
                 space: Space | None = None):
        self.store = store
        self.id = search_id
        self.config = config
        self.all = all_
        self.space = space or Space.of(config)
        row = store.search(search_id)
        self._seconds0 = row["seconds"] or 0.0
        self.status: str = row["status"]
        self._stop = False
        self.workers_used: set[tuple[str, int]] = set()
        self.levels = {r: Level(r, k) for r, k in self.space.counts().items()}
        self.correct: dict[str, Rank] = {}  # hash -> rank, for the correct candidates
        #: candidates decided here by a renaming of their types (rbengine.renaming)
        self.renamed = 0
        self._restore()

    # ---- creation --------------------------------------------------------
    @classmethod
    def start(cls, store: Store, config: RunConfig, all_: bool = False,
              name: str | None = None, space: Space | None = None) -> "Search":
        config = search_config(config)
        space = space or Space.of(config)
        sid = store.create_search(config.to_dict(), identity_key(config), all_, len(space),
                                  levels_json(space.counts()), name)
        return cls(store, sid, config, all_, space)

    @classmethod
    def resume(cls, store: Store, search_id: int | str, config: RunConfig | None = None,
               all_: bool | None = None, backend: str | None = None,
               force: bool = False) -> "Search":
        """Continue a search; `config`, when given, must describe the same space."""
        from .run import pid_alive
        row = store.search(search_id)
        sid = row["id"]
        stored = RunConfig.from_dict(json.loads(row["config"]))
        if config is not None:
            diff = difference(stored, search_config(config))
            if diff:
                raise SearchError(f"search s{sid} has another configuration ({diff}); "
                                  f"start a new search for it")
        if row["status"] == RUNNING and not force and row["host"] == socket.gethostname() \
                and pid_alive(row["pid"]):
            raise SearchError(f"search s{sid} is still running (pid {row['pid']})")
        if backend:
            stored = replace(stored, backend=backend).validate()
        want_all = bool(row["all"]) or bool(all_)
        if row["status"] == FINISHED and (bool(row["all"]) or not want_all):
            raise SearchError(f"search s{sid} is finished"
                              + ("" if row["all"] else " (--all verifies the rest)"))
        space = Space.of(stored)
        if len(space) != row["total"]:
            raise StoreError(f"search s{sid} counted {row['total']} candidates and this "
                             f"version counts {len(space)}: start a new search")
        store.update_search(sid, status=RUNNING, pid=os.getpid(), host=socket.gethostname(),
                            config=json.dumps(stored.to_dict()), all=int(want_all),
                            message=None)
        return cls(store, sid, stored, want_all, space)

    def _restore(self) -> None:
        for reward, (ok, bad) in self.store.search_histogram(self.id).items():
            lv = self.levels.get(reward)
            if lv is None:
                raise StoreError(f"search s{self.id} holds a total reward {reward:g} this "
                                 f"space does not have: start a new search")
            lv.correct, lv.incorrect = ok, bad
        for h, ok in self.store.search_known(self.id).items():
            if ok:
                cand = self.store.candidate(h)
                if cand is not None:
                    s = self.space.state_of(cand)
                    from . import reward as rw
                    self.correct[h] = self.space.rank(s, rw.total(self.config.rewards, cand))

    # ---- control ---------------------------------------------------------
    def stop(self) -> None:
        """Pause after the batch in flight (thread/signal safe)."""
        self._stop = True

    @property
    def stopping(self) -> bool:
        return self._stop

    # ---- answers ---------------------------------------------------------
    @property
    def verified(self) -> int:
        return sum(lv.correct + lv.incorrect for lv in self.levels.values())

    def current_level(self) -> float | None:
        for r in self.space.rewards:
            if not self.levels[r].done:
                return r
        return None

    def optimum(self) -> float | None:
        """The total reward of the certified cheapest correct candidates, once
        every level up to the first with a correct candidate is verified."""
        for r in self.space.rewards:
            lv = self.levels[r]
            if not lv.done:
                return None
            if lv.correct:
                return r
        return None

    def finished(self) -> bool:
        if self.all:
            return all(lv.done for lv in self.levels.values())
        return self.optimum() is not None or all(lv.done for lv in self.levels.values())

    def certified(self) -> list[str]:
        """Hashes of the certified cheapest correct candidates, cheapest first."""
        opt = self.optimum()
        if opt is None:
            return []
        return [h for h, rk in sorted(self.correct.items(), key=lambda kv: kv[1])
                if -rk[0] == opt]

    def best(self) -> tuple[str, Rank] | None:
        """The cheapest correct candidate found so far (not certified)."""
        if not self.correct:
            return None
        return min(self.correct.items(), key=lambda kv: kv[1])

    def histogram(self) -> list[tuple[float, int, int, int]]:
        """(total reward, correct, incorrect, candidates) per level, cheapest first."""
        return [(r, lv.correct, lv.incorrect, lv.total) for r, lv in
                ((r, self.levels[r]) for r in self.space.rewards)]

    def progress(self, rate: float, elapsed: float) -> Progress:
        b = self.best()
        best = self.store.candidate(b[0]) if b else None
        return Progress(self.id, self.verified, len(self.space), self.current_level(), rate,
                        sum(lv.correct for lv in self.levels.values()),
                        sum(lv.incorrect for lv in self.levels.values()),
                        best.notation().replace("\n", " | ") if best else None,
                        -b[1][0] if b else None, elapsed, self.status)

    # ---- the loop --------------------------------------------------------
    def _todo(self, cache: VerdictCache, known: set[str], local: list[_Local],
              flush: Callable[[], None]) -> Iterator[_Todo]:
        """(hash, reward, state, candidate) of every candidate still to verify,
        in the cost order. Candidates whose verdict is known already go to
        `local`, recorded by `flush` without a worker: those the shared cache
        holds, and those with a renaming of their types (rbengine.renaming)
        this search has decided, which have its verdict."""
        stored = self.store.verdict_hashes(key for _, key in cache.sizes)
        for r in self.space.rewards:
            lv = self.levels[r]
            if lv.done:
                continue
            if self.finished():
                return
            for i, s in enumerate(self.space.level(r)):
                if self._stop or (i & 63 == 63 and self.finished()):
                    return
                cand = self.space.candidate(s)
                h = cand.content_hash()
                if h in known:
                    continue
                twin = next((t for t in map(Candidate.content_hash, renamings(cand))
                             if t in known), None)
                if twin is not None:  # a renaming of types this search decided
                    local.append((h, r, s, twin in self.correct))
                    self.renamed += 1
                    if len(local) >= 1000:
                        flush()
                    continue
                if h not in stored:
                    yield h, r, s, cand, []
                    continue
                rec = cache.lookup(h)
                if rec is not None:
                    local.append((h, r, s, rec.correct))
                    if len(local) >= 1000:
                        flush()
                    continue
                # the sizes some other run or search verified already
                yield h, r, s, cand, cache.parts(h)
            flush()
            cache.memory.clear()  # verdicts read from the store: keep memory bounded

    def _batches(self, todo: Iterator[_Todo], size: Callable[[], int],
                 meta: list[list[_Todo] | None]) -> Iterator[Task]:
        config_text = json.dumps(self.config.to_dict(), sort_keys=True)
        pack = self.space._pack
        batch: list[_Todo] = []
        want = size()
        for item in todo:
            batch.append(item)
            if len(batch) >= want:
                meta.append(batch)
                yield config_text, [(h, pack(s), k) for h, _, s, _, k in batch]
                batch = []
                want = size()
        if batch:
            meta.append(batch)
            yield config_text, [(h, pack(s), k) for h, _, s, _, k in batch]

    def execute(self, fan: Fanout | Serial, progress: Callable[[Progress], None] | None = None,
                progress_interval: float = 0.5, batch: int | None = None,
                window: int | None = None,
                on_batch: Callable[[int, dict[str, Any]], None] | None = None
                ) -> str:
        """Verify until the search is finished or stopped; returns the status.

        fan: an rbengine.fanout.Fanout (or Serial) already entered. batch:
        candidates per task (default: adapted to about a second of work).
        on_batch(count, result): called after each recorded batch.
        """
        t0 = time.perf_counter()
        cache = make_cache(self.config, store=self.store)
        known = set(self.store.search_known(self.id))
        local: list[_Local] = []
        meta: list[list[_Todo] | None] = []  # the batches in flight, by task index
        per_candidate = [0.0, 0]  # worker seconds, candidates
        verified0 = self.verified
        last = [0.0]

        workers = max(1, getattr(fan, "workers", 1) or 1)

        def size() -> int:
            """About a second of work, and never so much that a few tasks
            hold what is left of the space while the other workers wait."""
            if batch:
                return batch
            secs, k = per_candidate
            left = max(1, (len(self.space) - self.verified) // (4 * workers))
            if k == 0:
                return min(4, left)
            return max(1, min(2000, left, int(1.0 / max(secs / k, 1e-5))))

        def tell(force: bool = False) -> None:
            now = time.perf_counter()
            if progress is not None and (force or now - last[0] >= progress_interval):
                last[0] = now
                el = now - t0
                progress(self.progress((self.verified - verified0) / el if el > 0 else 0.0,
                                       self._seconds0 + el))

        def flush_local() -> None:
            if local:
                rows = [(h, r, ok) for h, r, _, ok in local]
                self._record(rows, {h: self.space.candidate(s) for h, r, s, ok in local if ok},
                             [], {h: (r, s) for h, r, s, _ in local}, t0)
                known.update(h for h, *_ in local)
                local.clear()

        try:
            tell(force=True)
            todo = self._todo(cache, known, local, flush_local)
            stream = fan.stream(verify_batch, self._batches(todo, size, meta), window=window)
            for i, result in stream:
                flush_local()
                items = cast("list[_Todo]", meta[i])  # in flight until now
                where = {h: (r, s) for h, r, s, *_ in items}
                oks = dict(result["results"])
                rows = [(h, where[h][0], ok) for h, ok in oks.items()]
                cands = {h: self.space.candidate(where[h][1]) for h, ok in oks.items() if ok}
                self._record(rows, cands, result["verdicts"], where, t0)
                known.update(oks)
                meta[i] = None
                per_candidate[0] += result["seconds"]
                per_candidate[1] += len(oks)
                self.workers_used.add((result["host"], result["pid"]))
                if on_batch is not None:
                    on_batch(len(oks), result)
                tell()
                if self.finished() or self._stop:
                    break
            flush_local()
            if self.finished():
                self.status = FINISHED
                self._finish(t0)
            else:
                self.status = PAUSED
                self._save(t0, status=PAUSED)
        except (KeyboardInterrupt, SystemExit):
            self.status = PAUSED
            try:
                self._save(t0, status=PAUSED, message="interrupted")
            except Exception:
                pass
            raise
        except Exception as exc:
            self.status = FAILED
            msg = _fault(exc)
            try:
                self._save(t0, status=FAILED, message=msg)
            except Exception:
                pass
            if isinstance(exc, RbError):
                raise
            raise SearchError(f"search s{self.id} stopped: {msg} (resume it with "
                              f"--resume s{self.id})") from None
        tell(force=True)
        return self.status

    # ---- recording --------------------------------------------------------
    def _fields(self, t0: float) -> dict[str, Any]:
        return {"verified": self.verified,
                "correct_candidates": sum(lv.correct for lv in self.levels.values()),
                "incorrect_candidates": sum(lv.incorrect for lv in self.levels.values()),
                "level": self.current_level(),
                "seconds": self._seconds0 + time.perf_counter() - t0}

    def _record(self, rows: list[tuple[str, float, bool]], cands: dict[str, Candidate],
                verdicts: list[VerdictRow], where: dict[str, tuple[float, State]],
                t0: float) -> None:
        for h, r, ok in rows:
            lv = self.levels[r]
            if ok:
                lv.correct += 1
                self.correct[h] = self.space.rank(where[h][1], r)
            else:
                lv.incorrect += 1
        self.store.record_search(self.id, rows=rows, candidates=cands, verdicts=verdicts,
                                 fields=self._fields(t0))

    def _save(self, t0: float, status: str, message: str | None = None) -> None:
        self.store.update_search(self.id, status=status, message=message, **self._fields(t0))

    def _finish(self, t0: float) -> None:
        opt = self.optimum()
        msg = None if opt is not None else "no candidate of the space is correct"
        self.store.update_search(self.id, status=FINISHED, optimum=opt,
                                 result_hashes=json.dumps(self.certified()), message=msg,
                                 **self._fields(t0))


def _fault(exc: BaseException) -> str:
    """One line for what stopped a search (a dead cluster, a worker killed too often)."""
    name = type(exc).__name__
    text = " ".join(str(exc).split())
    if name == "KilledWorker":
        return f"a batch killed its workers {text and '(' + text[:120] + ')'}".strip()
    if "Cancelled" in name or name in ("CommClosedError", "StreamClosedError", "TimeoutError",
                                       "OSError", "ConnectionError"):
        return f"lost the Dask cluster ({name})"
    if isinstance(exc, FanoutError):
        return text
    return f"{name}: {text[:200]}" if text else name


# ------------------------------------------------------------------ reports --
def report(store: Store, search_id: int | str) -> dict[str, Any]:
    """A search as a user reads it (rbtui search --json, runs, show)."""
    row = store.search(search_id)
    cfg = RunConfig.from_dict(json.loads(row["config"]))
    levels = {float(k): v for k, v in json.loads(row["levels"] or "{}").items()}
    hist = store.search_histogram(row["id"])
    from . import metrics
    from . import reward as rw
    results = []
    for h in json.loads(row["result_hashes"] or "[]"):
        c = store.candidate(h)
        if c is not None:
            results.append({"hash": h, "candidate": c.to_json(), "notation": c.notation(),
                            "reward": rw.total(cfg.rewards, c),
                            "metrics": metrics.to_json(c, cfg.n_value, cfg.f_value)})
    return {
        "id": f"s{row['id']}", "kind": "search", "name": row["name"], "status": row["status"],
        "target": cfg.target, "n": cfg.n_value, "f": cfg.f_value,
        "sizes": [sz.text() for sz in cfg.size_list()], "attacker": cfg.attacker,
        "vocabulary": cfg.vocabulary, "backend": cfg.backend, "all": bool(row["all"]),
        "space": row["space"], "total": row["total"], "verified": row["verified"],
        "correct": row["correct_candidates"], "incorrect": row["incorrect_candidates"],
        "level": row["level"],
        "optimum": row["optimum"], "certified": results,
        "histogram": [{"reward": r, "candidates": k, "correct": hist.get(r, (0, 0))[0],
                       "incorrect": hist.get(r, (0, 0))[1]}
                      for r, k in sorted(levels.items(), reverse=True)],
        "seconds": round(row["seconds"] or 0.0, 3), "created": row["created"],
        "updated": row["updated"], "message": row["message"], "config": cfg.to_dict(),
    }


def optimum_for(store: Store, config: RunConfig) -> dict[str, Any] | None:
    """The certified optimum of `config`'s space, if a finished search has it:
    {"search": "sK", "reward": total reward}."""
    try:
        key = identity_key(search_config(config))
    except RbError:
        return None
    for row in reversed(store.searches()):
        if row["space"] == key and row["status"] == FINISHED and row["optimum"] is not None:
            return {"search": f"s{row['id']}", "reward": row["optimum"]}
    return None


def histogram_text(hist: Iterable[tuple[float, int, int, int]],
                   header: str = "total reward: correct / incorrect") -> str:
    """The histogram as bench/results/optimum_*.txt shows it."""
    lines = [header]
    for r, ok, bad, total in hist:
        rest = total - ok - bad
        lines.append(f"  {r:6g}: {ok} / {bad}" + (f"  ({rest} not verified)" if rest else ""))
    return "\n".join(lines)

