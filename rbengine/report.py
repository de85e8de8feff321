"""A run as a user reads it: one JSON-able object built from the store.

Shared by ``rbtui runs/show/run --json`` and the workbench, so they agree.
Candidates are in the interchange format (docs/semantics.md §6) with their verdict
and efficiency metrics at the run's N and F.
"""

from __future__ import annotations

import json

from . import metrics
from .cache import oracle_key
from .config import RunConfig
from .store import Store


def _candidate(store: Store, h: str | None, cfg: RunConfig, key: str) -> dict | None:
    c = store.candidate(h)
    if c is None:
        return None
    v = store.get_verdict(h, key)
    return {"hash": h, "candidate": c.to_json(), "notation": c.notation(),
            "verdict": None if v is None else {"correct": v.correct, "summary": v.summary,
                                               **v.data},
            "metrics": metrics.to_json(c, cfg.n_value, cfg.f_value)}


def run_report(store: Store, run_id, full: bool = False) -> dict:
    """The run's status, counts and candidates; `full` adds the configuration
    and the analogues of the paper's Tables 7-8 (first correct candidate)."""
    row = store.run(run_id)
    cfg = RunConfig.from_dict(json.loads(row["config"]))
    key = oracle_key(cfg.target, cfg.n_value, cfg.f, cfg.attacker)
    hits, misses = row["cache_hits"] or 0, row["cache_misses"] or 0
    out = {
        "id": row["id"], "name": row["name"], "status": row["status"], "target": cfg.target,
        "n": cfg.n_value, "f": cfg.f_value, "attacker": cfg.attacker, "seed": row["seed"],
        "backend": cfg.backend,
        "episodes": {"done": row["episodes_done"], "planned": row["episodes_planned"]},
        "correct": row["correct"], "incorrect": row["incorrect"],
        "candidates": {"correct": row["distinct_correct"], "incorrect": row["distinct_incorrect"]},
        "cache": {"hits": hits, "misses": misses,
                  "hit_rate": round(hits / (hits + misses), 4) if hits + misses else 0.0},
        "states": row["states"], "seconds": round(row["seconds"] or 0.0, 3),
        "created": row["created"], "updated": row["updated"], "message": row["message"],
        "best": _candidate(store, row["best_hash"], cfg, key),
        "final": _candidate(store, row["final_hash"], cfg, key),
        "result": _candidate(store, row["result_hash"], cfg, key),
    }
    if full:
        out["config"] = cfg.to_dict()
        ck = store.load_checkpoint(row["id"]) or {}
        out["first_correct"] = ck.get("first_correct")
    return out
