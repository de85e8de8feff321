"""store.sqlite.example (made by bench/make_example_store.py) opens and holds a
finished crash run whose best candidate is correct, checked again here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from rbengine.candidate import Candidate
from rbengine.config import RunConfig
from rbengine.oracle import verify
from rbengine.report import run_report
from rbengine.store import Store

EXAMPLE = Path(__file__).resolve().parent.parent / "store.sqlite.example"


def test_example_store_holds_a_correct_best_candidate(tmp_path):
    copy = tmp_path / "example.sqlite"
    shutil.copy(EXAMPLE, copy)
    with Store(copy, readonly=True) as s:
        runs = s.runs()
        assert runs, "the example store has no run"
        row = runs[0]
        assert row["status"] == "finished" and row["target"] == "crash"
        cfg = RunConfig.from_dict(json.loads(row["config"]))
        best = s.candidate(row["best_hash"])
        rep = run_report(s, row["id"], full=True)
        assert len(s.episodes(row["id"])) == row["episodes_done"] > 0
    assert best is not None and rep["best"]["verdict"]["correct"]
    again = verify(best, target=cfg.target, n=cfg.n_value, f=cfg.f, attacker=cfg.attacker,
                   backend="builtin")
    assert again.correct, again.summary()
    assert Candidate.from_json(rep["result"]["candidate"]) is not None
    # a store written by this version can be opened for writing too
    with Store(copy) as s:
        assert s.run(row["id"])["episodes_done"] == row["episodes_done"]
