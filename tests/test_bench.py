"""The benchmarks still run on the current code (their figures are not tested:
speed lives in bench/, never in an assertion)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rbengine import oracle
from rbengine.candidate import Candidate

ROOT = Path(__file__).resolve().parent.parent
needs_spin = pytest.mark.skipif(not (shutil.which("spin") and shutil.which("gcc")),
                                reason="needs spin and gcc")


def _scaling():
    spec = importlib.util.spec_from_file_location("bench_scaling", ROOT / "bench" / "scaling.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@needs_spin
def test_scaling_runs_on_a_tiny_range(tmp_path):
    out = tmp_path / "scaling.txt"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "bench/scaling.py", "--n", "4..4", "--quick",
                        "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    assert out.read_text() == p.stdout
    rows = {m.group(1): m.groups() for m in re.finditer(
        r"^(bracha|learned-18) +4 +1 +([\d.]+)\* +(\d+) +\d+ +([\d.]+)\* +(\d+) .* (\S+)$",
        p.stdout, re.M)}
    assert set(rows) == {"bracha", "learned-18"}, p.stdout
    for name, (_, _, b_states, _, s_states, verdict) in rows.items():
        cand = Candidate.loads(_scaling().CANDIDATES[name])
        for backend, states in (("builtin", b_states), ("spin", s_states)):
            v = oracle.verify(cand, only="byzantine", n=4, f=1, attacker="full",
                              backend=backend)
            assert int(states) == v.states and verdict == "ok" and v.correct, (name, backend)
    assert re.search(r"wall time [\d.]+ s", p.stdout)  # the matrix ran on Dask
    assert "goals:" in p.stdout


def test_a_cell_past_its_budget_reads_timeout():
    mod = _scaling()
    spec = {"notation": mod.CANDIDATES["bracha"], "mode": "byzantine", "n": 7, "f": 2,
            "backend": "reference", "repeat": 3, "cheap": 10.0, "timeout": 0.3}
    r = mod.cell(spec, hard=120)  # the run's own time limit
    assert r["error"] == "timeout" and not r["runs"], r
    r = mod.cell(dict(spec, timeout=600), hard=2)  # the kill
    assert r["error"] == "timeout" and "killed" in r["message"], r
    assert mod.secs(r) == "timeout"


def test_search_speedup_runs_on_a_tiny_space(tmp_path):
    """bench/search.py's speedup: this process, 1 and 2 Dask workers take turns
    on the same searches, and each is reported with its rate and the ratio."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "bench/search.py", "--only", "speedup",
                        "--speed-space", "crash-small", "--limit", "300", "--repeat", "2",
                        "--db", str(tmp_path / "optima.sqlite")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    for label in ("in this process", "1 worker", "2 workers"):
        assert re.search(rf"^  {label} +[\d.]+ s +\d+ candidates/s", p.stdout, re.M), p.stdout
    assert re.search(r"2 workers over 1: [\d.]+x", p.stdout)
    assert len(re.findall(r"[\d.]+x", p.stdout.split("each turn:")[1])) == 2


def test_search_verdict_cost_runs_on_a_tiny_space(tmp_path):
    """bench/search.py's verdict part: the same candidates checked for a
    shortest counterexample and for the verdict only, with no verdict differing."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "bench/search.py", "--only", "verdict",
                        "--verdict-space", "byzantine-small", "--verdict-count", "30",
                        "--db", str(tmp_path / "optima.sqlite")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    for label in ("shortest", "verdict only"):
        assert re.search(rf"^  {label} +median +[\d.]+ ms", p.stdout, re.M), p.stdout
    assert "verdicts that differ: 0 (must be 0)" in p.stdout


def test_descent_bench_reports_where_a_descent_ends():
    """bench/descent.py: from one learning run's candidate, its moves and its end."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = ("broadcast: send_myself type0 | receive: send_all type0 if type0 from origin; "
             "send_all type2 if type2 from F+1; send_neighbours type2 if type0 from N-F; "
             "deliver if type2 from N-F")
    p = subprocess.run([sys.executable, "bench/descent.py", start, "receive: deliver"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert re.search(r"^  -> -26 after \d+ checks", p.stdout, re.M), p.stdout
    assert re.search(r"^  ends on -24 after \d+ checks in all", p.stdout, re.M), p.stdout
    assert "#2: not correct at every size, no descent" in p.stdout


def test_repair_bench_reports_near_misses_and_what_repairs_find():
    """bench/repair.py: seed 0's 1,407 episodes meet 8 near misses; the
    repair of the last one finds the certified optimum's reward (-24)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "bench/repair.py", "--seeds", "0", "--episodes", "1407"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert re.search(r"^seed 0: 1407 episodes in [\d.]+ s, 0 correct candidates; near misses: "
                     r"0 first size only, 8 last scenario$", p.stdout, re.M), p.stdout
    assert re.search(r"^  episode 1407 \(last scenario, -24\) -> -24 \(the certified optimum's "
                     r"reward\) after \d+ checks", p.stdout, re.M), p.stdout
    assert re.search(r"^  repairs: 1 of 8 find a correct candidate", p.stdout, re.M), p.stdout
