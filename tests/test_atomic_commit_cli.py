"""`rbtui verify FILE --problem atomic-commit`, run for real in subprocesses."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples" / "atomic_commit"


def run_cli(*args, stdin=None):
    env = dict(os.environ, NO_COLOR="", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "rbtui.cli", "verify", *args], input=stdin,
                          text=True, capture_output=True, cwd=ROOT, env=env, timeout=120)


@pytest.mark.parametrize("backend", ["builtin", "z3"])
def test_correct_and_incorrect(backend):
    ok = run_cli(str(EX / "vote_exchange.json"), "--problem", "atomic-commit",
                 "--backend", backend)
    assert ok.returncode == 0 and ok.stdout.startswith("correct"), ok.stderr
    bad = run_cli(str(EX / "paper_not_classical.json"), "--problem", "atomic-commit",
                  "--backend", backend, "--rounds", "1")
    assert bad.returncode == 1 and "incorrect (V)" in bad.stdout
    assert "Counterexample:" in bad.stdout and "crashes in round 1" in bad.stdout
    paper = run_cli(str(EX / "paper_not_classical.json"), "--problem", "atomic-commit",
                    "--backend", backend, "--properties", "paper")
    assert paper.returncode == 0


def test_json_shape():
    proc = run_cli(str(EX / "optimistic.json"), "--problem", "atomic-commit", "--json",
                   "--properties", "paper", "--n", "3", "--rounds", "2")
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert {"correct", "checks", "counterexample"} <= set(out)
    assert out["correct"] is False
    assert [c["checked"] for c in out["checks"]] == ["P1", "P2", "P3", "P4", "P5"]
    failed = [c for c in out["checks"] if not c["correct"]]
    assert [c["property"] for c in failed] == ["P3"]
    cx = out["counterexample"]
    assert cx["property"] == "P3" and len(cx["states"]) == 3 and len(cx["lost"]) == 2
    assert any(cx["lost"]) and set(cx["decisions"]) >= {"FINAL_COMMIT", "FINAL_ABORT"}


def test_stdin():
    proc = run_cli("-", "--problem", "atomic-commit", stdin=(EX / "vote_exchange.json").read_text())
    assert proc.returncode == 0


@pytest.mark.parametrize("args, words", [
    (["--rounds", "0"], "at least 1"),
    (["--f", "3"], "f must be"),
    (["--n", "4"], "N=4 means 3"),
    (["--only", "crash"], "--only"),
    (["--backend", "spin"], "does not verify atomic commit"),
])
def test_bad_input_is_one_line_exit_2(args, words):
    proc = run_cli(str(EX / "vote_exchange.json"), "--problem", "atomic-commit", *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], proc.stderr


def test_bad_file_and_broadcast_side_options(tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text('{"unnamed": 1, "transitions": [{"from": "X", "received": {}, "to": "COMMIT"}]}')
    proc = run_cli(str(bad), "--problem", "atomic-commit")
    assert proc.returncode == 2 and "unknown state 'X'" in proc.stderr
    proc = run_cli(str(ROOT / "examples" / "alg1.txt"), "--rounds", "2")
    assert proc.returncode == 2 and "--problem atomic-commit" in proc.stderr
