"""A run as a user reads it: one JSON-able object built from the store.

Shared by ``rbtui runs/show/run --json`` and the workbench, so they agree.
Candidates are in the interchange format (docs/semantics.md §6) with their verdict
and efficiency metrics at the run's N and F.
"""

from __future__ import annotations

import json
from typing import Any, cast

from . import metrics
from .cache import VerdictCache
from .config import RunConfig
from .store import Store


def _candidate(store: Store, h: str | None, cfg: RunConfig,
               cache: VerdictCache) -> dict[str, Any] | None:
    c = store.candidate(h)
    if c is None:
        return None
    v = cache.lookup(cast(str, h))  # a candidate was found: h is a hash
    return {"hash": h, "candidate": c.to_json(), "notation": c.notation(),
            "verdict": None if v is None else {"correct": v.correct, "summary": v.summary,
                                               **v.data},
            "metrics": metrics.to_json(c, cfg.n_value, cfg.f_value)}


def run_report(store: Store, run_id: int | str, full: bool = False) -> dict[str, Any]:
    """The run's status, counts and candidates; `full` adds the configuration
    and the analogues of the paper's Tables 7-8 (first correct candidate)."""
    row = store.run(run_id)
    cfg = RunConfig.from_dict(json.loads(row["config"]))
    cache = VerdictCache(cfg.target, cfg.n, cfg.f, cfg.attacker, cfg.backend, store=store,
                         sizes=cfg.sizes)
    hits, misses = row["cache_hits"] or 0, row["cache_misses"] or 0
    out: dict[str, Any] = {
        "id": row["id"], "name": row["name"], "status": row["status"], "target": cfg.target,
        "n": cfg.n_value, "f": cfg.f_value, "sizes": [sz.text() for sz in cfg.size_list()],
        "attacker": cfg.attacker, "seed": row["seed"],
        "backend": cfg.backend,
        "episodes": {"done": row["episodes_done"], "planned": row["episodes_planned"],
                     "correct": row["correct_episodes"], "incorrect": row["incorrect_episodes"]},
        "candidates": {"correct": row["distinct_correct"], "incorrect": row["distinct_incorrect"]},
        "cache": {"hits": hits, "misses": misses,
                  "hit_rate": round(hits / (hits + misses), 4) if hits + misses else 0.0},
        "states": row["states"], "seconds": round(row["seconds"] or 0.0, 3),
        "created": row["created"], "updated": row["updated"], "message": row["message"],
        "best": _candidate(store, row["best_hash"], cfg, cache),
        "final": _candidate(store, row["final_hash"], cfg, cache),
        "result": _candidate(store, row["result_hash"], cfg, cache),
    }
    out["optimum"] = _optimum(store, cfg, out["result"])
    from .run_checks import current
    out["checks"] = current(store, row["id"], out)  # recorded at the run's end, if any
    if full:
        out["config"] = cfg.to_dict()
        ck = store.load_checkpoint(row["id"]) or {}
        out["first_correct"] = ck.get("first_correct")
        best = ck.get("best")
        out["best_found"] = None if not best else {"episode": best["episode"],
                                                   "by": best.get("by", "episode")}
    return out


def _optimum(store: Store, cfg: RunConfig,
             result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The certified optimum of the run's space, when a finished search has it,
    and how far the run's result is from it (in total reward)."""
    from .candidate import Candidate
    from .reward import total
    from .search import optimum_for
    opt = optimum_for(store, cfg)
    if opt is None:
        return None
    mine = None if result is None else total(cfg.rewards, Candidate.from_json(result["candidate"]))
    return dict(opt, run=mine, distance=None if mine is None else opt["reward"] - mine)


def optimum_text(opt: dict[str, Any] | None) -> str | None:
    """``optimum -18 (search s2), this run -20``."""
    if opt is None:
        return None
    run = "no correct candidate" if opt["run"] is None else f"{opt['run']:g}"
    return f"optimum {opt['reward']:g} (certified by search {opt['search']}), this run {run}"
