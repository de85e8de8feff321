"""The generalisation matrix: cells, statuses, JSON, and the command on a
real Dask LocalCluster of 2 workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rbengine import matrix, oracle
from rbengine.candidate import Candidate

ROOT = Path(__file__).resolve().parent.parent
LEARNED = ("broadcast: send_myself type0\nreceive: send_all type0 if type0 from origin; "
           "send_all type1 if type0 from (N+F)/2; deliver if type1 from F+1\n")


def test_cells_go_one_past_the_bound():
    assert matrix.sizes("byzantine", 3, 7) == sorted(
        [(3, 1), (4, 1), (4, 2), (5, 1), (5, 2), (6, 1), (6, 2), (7, 1), (7, 2), (7, 3)],
        key=matrix.sizes_key)
    assert (5, 3) in matrix.sizes("crash", 5, 5) and (5, 4) not in matrix.sizes("crash", 5, 5)
    assert matrix.sizes("crash", 3, 3) == [(3, 1), (3, 2)]
    assert matrix.sizes("none", 3, 4) == [(3, 0), (4, 0)]
    assert matrix.parse_range("3..10") == (3, 10) and matrix.parse_range("5") == (5, 5)
    for bad in ("10..3", "x", "1..4", "3..99"):
        with pytest.raises(matrix.MatrixError):
            matrix.parse_range(bad)


def test_a_cell_agrees_with_a_plain_verification():
    cand = Candidate.loads(LEARNED)
    job = matrix.Job(cand.to_json(), "byzantine", None, 7, 2, "full", "builtin", None)
    cell = matrix.compute_cell(job)
    v = oracle.verify(cand, n=7, f=2, backend="builtin", stop_early=True)
    assert cell.status == matrix.VIOLATED and cell.property == v.failed.property
    assert cell.within_bound and cell.states == v.states and cell.counterexample
    ok = matrix.compute_cell(matrix.Job(cand.to_json(), "byzantine", None, 5, 1, "full",
                                        "builtin", None))
    assert ok.status == matrix.CORRECT and ok.states > 0
    beyond = matrix.compute_cell(matrix.Job(cand.to_json(), "byzantine", None, 6, 2, "full",
                                            "builtin", None))
    assert not beyond.within_bound and beyond.status == matrix.VIOLATED


def test_a_cell_times_out_as_a_status():
    bracha = Candidate.load(ROOT / "examples" / "bracha.txt")
    cell = matrix.compute_cell(matrix.Job(bracha.to_json(), "byzantine", None, 7, 2, "full",
                                          "reference", 0.3))
    assert cell.status == matrix.TIMEOUT and cell.seconds < 5 and cell.message


def _cli(*args):
    env = dict(os.environ, NO_COLOR="", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "rbtui.cli", *args], text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=180)


def test_matrix_command_json_on_a_local_cluster_of_two_workers(tmp_path):
    f = tmp_path / "learned.txt"
    f.write_text(LEARNED)
    p = _cli("matrix", str(f), "--n", "4..7", "--backend", "builtin", "--workers", "2",
             "--json", "--counterexample", "--timeout", "60")
    assert p.returncode == 1, p.stderr  # wrong at N=7 F=2, within the bound
    data = json.loads(p.stdout)
    cells = {(c["n"], c["f"]): c for c in data["cells"]}
    assert set(cells) == set(matrix.sizes("byzantine", 4, 7))
    assert all(cells[(n, 1)]["status"] == "correct" for n in range(4, 8))
    assert cells[(7, 2)]["status"] == "violated" and cells[(7, 2)]["within_bound"]
    assert cells[(4, 2)]["within_bound"] is False
    assert data["correct_within_bound"] is False
    assert data["counterexample"]["n"] == 7 and data["counterexample"]["f"] == 2
    # the progress bar: one line per cell on a non-terminal stderr
    assert p.stderr.count("cells") >= len(cells)
    # the same cells as verifying each size alone
    cand = Candidate.loads(LEARNED)
    for (n, fv), c in cells.items():
        v = oracle.verify(cand, n=n, f=fv, backend="builtin", stop_early=True)
        assert (c["status"] == "correct") == v.correct, (n, fv)

    ok = _cli("matrix", str(f), "--n", "4..5", "--only", "crash", "--backend", "builtin",
              "--workers", "2", "-q")
    assert "N \\ F" in ok.stdout and ok.stderr == ""
    bad = _cli("matrix", str(f), "--n", "9..4")
    assert bad.returncode == 2 and "range" in bad.stderr
    unreachable = _cli("matrix", str(f), "--n", "4", "--backend", "builtin",
                       "--scheduler", "tcp://127.0.0.1:9")
    assert unreachable.returncode == 2 and len(unreachable.stderr.strip().splitlines()) == 1
