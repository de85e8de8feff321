"""rbtui run / runs / show / export, for real in subprocesses on real stores."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rbengine import reward as rw
from rbengine.candidate import Candidate
from rbengine.config import RunConfig
from rbengine.oracle import verify
from rbengine.store import Store

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "rbtui.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=timeout)


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    p = tmp_path_factory.mktemp("cli") / "runs.sqlite"
    r = cli("run", "--target", "none", "--episodes", "150", "--seed", "3", "--name", "first",
            "--db", str(p), "--json")
    assert r.returncode == 0, r.stderr
    return p, json.loads(r.stdout)


CANDIDATE_KEYS = {"hash", "candidate", "notation", "verdict", "metrics"}


def check_report(rep: dict) -> None:
    assert {"id", "name", "status", "target", "n", "f", "seed", "episodes", "candidates",
            "cache", "best", "final", "result"} <= set(rep)
    # a count of correct episodes and one of correct candidates, each under its name
    assert "correct" not in rep and "incorrect" not in rep
    assert set(rep["episodes"]) == {"done", "planned", "correct", "incorrect"}
    assert set(rep["candidates"]) == {"correct", "incorrect"}
    assert rep["candidates"]["correct"] <= rep["episodes"]["correct"]
    assert {"hits", "misses", "hit_rate"} <= set(rep["cache"])
    for k in ("best", "final", "result"):
        if rep[k] is not None:
            assert set(rep[k]) >= CANDIDATE_KEYS
            Candidate.from_json(rep[k]["candidate"])  # docs/semantics.md §6 format
            assert rep[k]["candidate"]["broadcast"][-1][0] == "stop"
            assert {"messages_n", "steps", "to_deliver_n"} <= set(rep[k]["metrics"])


def test_run_json(store):
    _p, rep = store
    check_report(rep)
    assert rep["status"] == "finished"
    assert (rep["episodes"]["done"], rep["episodes"]["planned"]) == (150, 150)
    assert rep["episodes"]["correct"] + rep["episodes"]["incorrect"] == 150 and rep["name"] == "first"
    assert rep["result"]["verdict"]["correct"] is True
    assert verify(Candidate.from_json(rep["result"]["candidate"]), target="none", n=3,
                  backend="builtin").correct


def test_runs_and_show_json(store):
    p, rep = store
    r = cli("runs", "--json", "--db", str(p))
    assert r.returncode == 0, r.stderr
    runs = json.loads(r.stdout)
    assert isinstance(runs, list) and runs[0]["id"] == rep["id"]
    check_report(runs[0])
    r = cli("show", "first", "--json", "--db", str(p))
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    check_report(shown)
    assert shown["config"]["seed"] == 3 and shown["config"]["target"] == "none"
    assert shown["first_correct"]["episode"] >= 1
    table = cli("runs", "--db", str(p))
    assert table.returncode == 0 and "finished" in table.stdout and "first" in table.stdout
    text = cli("show", str(rep["id"]), "--db", str(p))
    assert text.returncode == 0 and "when RB-Broadcast(m) do:" in text.stdout


@pytest.mark.parametrize("fmt", ["json", "pseudo", "latex", "promela"])
def test_export(store, fmt):
    p, rep = store
    r = cli("export", str(rep["id"]), "--format", fmt, "--db", str(p))
    assert r.returncode == 0, r.stderr
    if fmt == "json":
        assert Candidate.loads(r.stdout) == Candidate.from_json(rep["result"]["candidate"])
    elif fmt == "pseudo":
        assert "when receive(m) do:" in r.stdout
    elif fmt == "latex":
        assert r.stdout.startswith("% needs") and "\\begin{algorithm}" in r.stdout
    else:
        assert "proctype" in r.stdout or "init" in r.stdout


def test_errors_are_one_line_and_leave_the_store_alone(store, tmp_path):
    p, _rep = store
    before = digest(p)
    for args in (["show", "99"], ["export", "nope"], ["run", "--resume", "1"],
                 ["run", "--resume", "1", "--seed", "4"], ["run", "--episodes", "5"]):
        r = cli(*args, "--db", str(p))
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("rbtui: error:")
    assert digest(p) == before
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    snap = digest(bad)
    for args in (["runs"], ["run", "--target", "none", "--episodes", "3"]):
        r = cli(*args, "--db", str(bad))
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert digest(bad) == snap
    cfg = tmp_path / "c.toml"
    cfg.write_text("target = 'none'\nepisodes = 'many'\n")
    r = cli("run", "--config", str(cfg), "--db", str(tmp_path / "x.sqlite"))
    assert r.returncode == 2 and "episodes" in r.stderr


def _signal_a_run(p: Path, signum: int, *flags: str, after: int = 30):
    """Start `rbtui run` on store `p`, send `signum` once `after` episodes are
    recorded, and return (exit status, stderr)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "rbtui.cli", "run", "--target", "crash",
                             "--episodes", "100000", "--seed", "5", "--db", str(p), *flags],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.time() + 60
        done = 0
        while time.time() < deadline and done < after:
            time.sleep(0.1)
            try:
                with Store(p, readonly=True) as s:
                    rows = s.runs()
                done = rows[0]["episodes_done"] if rows else 0
            except Exception:
                continue
        os.kill(proc.pid, signum)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err


@pytest.mark.parametrize("signum,status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_pauses_with_128_plus_its_number_and_quiet_prints_no_note(tmp_path, signum, status):
    p = tmp_path / "s.sqlite"
    code, err = _signal_a_run(p, signum, "-q", after=10)
    assert code == status, err
    assert "pausing after" not in err and "run 1:" not in err
    assert "paused" in err and "rbtui run --resume 1 --db" in err
    with Store(p, readonly=True) as s:
        assert s.run(1)["status"] == "paused"


def test_ctrl_c_pauses_and_resume_finishes(tmp_path):
    p = tmp_path / "s.sqlite"
    code, err = _signal_a_run(p, signal.SIGINT)
    assert code == 130, err
    assert "pausing after the current episode" in err
    assert "paused" in err and "rbtui run --resume 1 --db" in err
    assert "run 1:" in err  # progress lines (stderr is not a terminal)
    with Store(p, readonly=True) as s:
        row = s.run(1)
        assert row["status"] == "paused"
        paused_at = row["episodes_done"]
    assert 30 <= paused_at < 100000
    r = cli("run", "--resume", "1", "--episodes", str(paused_at + 40), "--db", str(p), "--json")
    assert r.returncode in (0, 1), r.stderr
    rep = json.loads(r.stdout)
    assert rep["status"] == "finished" and rep["episodes"]["done"] == paused_at + 40


def test_run_untried_guided_is_stored_and_kept_on_resume(tmp_path):
    p = tmp_path / "g.sqlite"
    r = cli("run", "--target", "crash", "--episodes", "60", "--seed", "2", "--untried", "guided",
            "--db", str(p), "--json", "--no-report-checks")
    assert r.returncode == 0, r.stderr
    rid = json.loads(r.stdout)["id"]
    with Store(p, readonly=True) as s:
        assert json.loads(s.run(rid)["config"])["untried"] == "guided"
        ck = s.load_checkpoint(rid)
        assert ck["guide"]["episodes"] == 60 and ck["guide"]["elite"]
    r = cli("run", "--resume", str(rid), "--untried", "first", "--db", str(p))
    assert r.returncode == 2 and "--untried" in r.stderr


def test_run_descend_is_stored_and_kept_on_resume(tmp_path):
    """--descend: the run's configuration says so, its result is the crash
    optimum (-7) a descent reaches, `rbtui show` says how it was found, and a
    resumed run may not change it."""
    p = tmp_path / "d.sqlite"
    r = cli("run", "--target", "crash", "--episodes", "20", "--seed", "0", "--descend",
            "--db", str(p), "--json", "--no-report-checks")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    with Store(p, readonly=True) as s:
        assert json.loads(s.run(rep["id"])["config"])["descend"] is True
    result = Candidate.from_json(rep["result"]["candidate"])
    assert verify(result, target="crash", n=3).correct
    assert rw.total(RunConfig(target="crash").rewards, result) == -7
    # found by the repair of episode 2's near miss and a descent, before any
    # episode was correct (tests/test_learner.py); show says so
    r = cli("show", str(rep["id"]), "--db", str(p), "--json", "--no-report-checks")
    shown = json.loads(r.stdout)
    assert shown["best_found"] == {"episode": 2, "by": "repair, descent"}
    assert shown["first_correct"]["episode"] > 2
    r = cli("show", str(rep["id"]), "--db", str(p), "--no-report-checks")
    assert ("most efficient correct candidate: found in episode 2, by a repair of a near miss "
            "and a descent") in r.stdout
    r = cli("run", "--resume", str(rep["id"]), "--descend", "--db", str(p))
    assert r.returncode == 2 and "--descend" in r.stderr
