"""Atomic commit learning runs in the store: the real command in subprocesses,
kill -9 and resume, the schema migration, and the problem registry."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rbengine import problem as problems
from rbengine.atomic_commit import smt
from rbengine.atomic_commit.machine import Machine
from rbengine.atomic_commit.run import ACRun, ACRunConfig, report
from rbengine.errors import RbError, StoreError
from rbengine.store import SCHEMA_VERSION, Store

ROOT = Path(__file__).resolve().parent.parent
#: no correct machine exists at K=0, R=1 (certified), so a run plays every episode
HOPELESS = ["--n", "3", "--rounds", "1", "--states", "0"]


def cli(*args, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "rbtui.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, **kw)


@pytest.mark.parametrize("learner", ["dqn", "tabular"])
def test_a_run_finds_a_machine_and_is_listed_shown_and_exported(tmp_path, learner):
    db = str(tmp_path / "s.sqlite")
    r = cli("run", "--problem", "atomic-commit", "--learner", learner, "--seed", "1",
            "--episodes", "20000", "--db", db, "--json", "--name", "ac")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["problem"] == "atomic-commit" and rep["status"] == "finished"
    fc = rep["first_correct"]
    assert fc["episode"] == rep["episodes"]["done"] < 20000 and fc["verified"] == rep["verified"]
    assert rep["history"][-1] == [fc["episode"], pytest.approx(rep["history"][-1][1]), True]
    machine = Machine.from_json(rep["result"]["machine"])
    assert machine.hash() == fc["hash"] and smt.check(machine, ACRunConfig().model()).correct

    runs = json.loads(cli("runs", "--json", "--db", db).stdout)
    assert [(x["problem"], x["learner"], x["name"]) for x in runs] == [
        ("atomic-commit", learner, "ac")]
    table = cli("runs", "--db", db).stdout
    assert "atomic-commit" in table and f"episode {fc['episode']}" in table
    shown = cli("show", "ac", "--db", db)
    assert shown.returncode == 0 and f"first correct machine: episode {fc['episode']}" in shown.stdout
    assert "LOCAL_COMMIT  otherwise" in shown.stdout
    exported = cli("export", "ac", "--db", db)
    path = tmp_path / "m.json"
    path.write_text(exported.stdout)
    assert cli("verify", str(path), "--problem", "atomic-commit", "--backend", "z3").returncode == 0


def test_kill_9_then_resume_ends_as_the_uninterrupted_run(tmp_path):
    db = tmp_path / "s.sqlite"
    args = ["run", "--problem", "atomic-commit", *HOPELESS, "--episodes", "6000", "--seed",
            "7", "--checkpoint-every", "250", "--db", str(db)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "rbtui.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, done = time.time() + 120, 0
        while time.time() < deadline and done < 1000:
            time.sleep(0.05)
            try:
                with Store(db, readonly=True) as s:
                    done = s.run(1)["episodes_done"]
            except (StoreError, sqlite3.Error):
                continue
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with Store(db, readonly=True) as s:
        row = s.run(1)
        killed_at = row["episodes_done"]
        assert row["status"] == "running" and 1000 <= killed_at < 6000
        assert s.load_learner(1)[0] == "dqn-npz"
    r = cli("run", "--resume", "1", "--db", str(db), "--json")
    assert r.returncode == 1, r.stderr  # finished, no correct machine exists
    assert f"from episode {killed_at}" in r.stderr
    resumed = json.loads(r.stdout)
    assert resumed["status"] == "finished" and resumed["episodes"]["done"] == 6000

    with Store(tmp_path / "ref.sqlite") as s:  # the same run, never interrupted
        run = ACRun.start(s, ACRunConfig(n=3, rounds=1, k=0, episodes=6000, seed=7))
        assert run.execute() == "finished"
        ref = report(s, s.run(run.id), full=True)
    assert resumed["digest"] == ref["digest"]
    assert resumed["history"] == ref["history"] and len(ref["history"]) == 6000 // 50
    assert resumed["last"]["hash"] == ref["last"]["hash"]


def test_a_paused_tabular_run_resumes_to_the_same_q_table(tmp_path):
    cfg = ACRunConfig(n=3, rounds=1, k=0, learner="tabular", episodes=3000, seed=2,
                      checkpoint_every=100)
    with Store(tmp_path / "s.sqlite") as s:
        a = ACRun.start(s, cfg)
        a.execute()
        b = ACRun.start(s, cfg)

        def progress(p):
            if p.episode >= 1000:
                b.stop()
        assert b.execute(progress=progress, progress_interval=0.0) == "paused"
        paused_at = s.run(b.id)["episodes_done"]
        assert 1000 <= paused_at < 3000
        b2 = ACRun.resume(s, b.id)
        assert b2.episodes_done == paused_at and b2.execute() == "finished"
        ra, rb = report(s, s.run(a.id), full=True), report(s, s.run(b.id), full=True)
        assert ra["digest"] == rb["digest"] and ra["history"] == rb["history"]
        with pytest.raises(StoreError, match="give more episodes"):
            ACRun.resume(s, b.id)
        assert ACRun.resume(s, b.id, episodes=3100).execute() == "finished"
        assert s.run(b.id)["episodes_done"] == 3100


@pytest.mark.parametrize("signum,status,flags", [(signal.SIGINT, 130, []),
                                                 (signal.SIGTERM, 143, ["-q"])])
def test_a_signal_pauses_an_atomic_commit_run(tmp_path, signum, status, flags):
    db = tmp_path / "s.sqlite"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "rbtui.cli", "run", "--problem",
                             "atomic-commit", *HOPELESS, "--episodes", "1000000", "--seed", "1",
                             "--db", str(db), *flags], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not db.exists():
            time.sleep(0.05)
        time.sleep(1.0)
        os.kill(proc.pid, signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == status, err  # 128 + the signal's number
    assert "rbtui run --resume 1 --db" in err
    assert ("pausing after" in err) == (not flags)
    with Store(db, readonly=True) as s:
        row = s.run(1)
        assert row["status"] == "paused" and 0 < row["episodes_done"] < 1000000
        assert (s.load_checkpoint(1) or {})["episodes_done"] == row["episodes_done"]


@pytest.mark.parametrize("args, words", [
    (["--target", "crash"], "--target is not an option of --problem atomic-commit"),
    (["--learner", "sarsa"], "invalid choice"),
    (["--rounds", "0"], "at least 1"),
    (["--states", "9"], "0..8 unnamed states"),
    (["--f", "3"], "f must be"),
])
def test_bad_run_input_is_one_line_exit_2_and_no_store(tmp_path, args, words):
    db = tmp_path / "s.sqlite"
    r = cli("run", "--problem", "atomic-commit", *args, "--db", str(db))
    assert r.returncode == 2 and words in r.stderr.strip().splitlines()[-1], r.stderr
    assert not db.exists()


def test_broadcast_runs_refuse_atomic_commit_options(tmp_path):
    r = cli("run", "--target", "crash", "--learner", "dqn", "--db", str(tmp_path / "s.sqlite"))
    assert r.returncode == 2 and "--learner is an option of --problem atomic-commit" in r.stderr


def test_search_problem_atomic_commit():
    found = cli("search", "--problem", "atomic-commit", "--json")
    assert found.returncode == 0, found.stderr
    out = json.loads(found.stdout)
    m = Machine.from_json(out["machine"])
    assert out["exists"] is True and smt.check(m, ACRunConfig().model()).correct
    none = cli("search", "--problem", "atomic-commit", "--rounds", "1", "--states", "0")
    assert none.returncode == 1 and "no correct machine exists" in none.stdout
    grow = cli("search", "--problem", "atomic-commit", "--grow", "--json")
    assert grow.returncode == 0 and json.loads(grow.stdout)["smallest"] == [[1, 1]]
    bad = cli("search", "--problem", "atomic-commit", "--all")
    assert bad.returncode == 2 and "--all is not an option" in bad.stderr


def test_a_store_of_schema_3_gains_the_problem_column(tmp_path):
    p = tmp_path / "v3.sqlite"
    with Store(p) as s:
        rid = s.create_run({"target": "crash"}, 1, 10)
    c = sqlite3.connect(p)
    c.execute("ALTER TABLE runs DROP COLUMN problem")
    c.execute("DROP TABLE learner_state")
    c.execute("PRAGMA user_version = 3")
    c.commit()
    c.close()
    with Store(p, readonly=True) as s:  # read as it is
        row = s.run(rid)
        assert "problem" not in row and Store.problem_of(row) == "reliable-broadcast"
        assert s.load_learner(rid) is None
        assert problems.for_run(row).name == "reliable-broadcast"
    with Store(p) as s:  # written: migrated
        assert s.db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
        assert s.run(rid)["problem"] is None
        ac = ACRun.start(s, ACRunConfig(episodes=50, seed=0))
        assert s.run(ac.id)["problem"] == "atomic-commit" and s.load_learner(ac.id)
        s.delete_run(ac.id)
        assert s.load_learner(ac.id) is None and s.load_checkpoint(ac.id) is None


def test_the_registry():
    assert problems.names()[:2] == ("reliable-broadcast", "atomic-commit")
    assert all(isinstance(e, problems.ProblemEntry) for e in problems.REGISTRY.values())
    with pytest.raises(RbError, match="unknown problem 'tsp'"):
        problems.get("tsp")
    assert problems.get(None).name == "reliable-broadcast"
    from rbengine import oracle
    rb = problems.get("reliable-broadcast")
    cand = rb.load_candidate(str(ROOT / "examples" / "alg1.txt"))
    got = rb.verify(cand, target="crash", n=3, backend="builtin")
    direct = oracle.verify(cand, target="crash", n=3, backend="builtin").to_json()

    def key(v):  # all but the timings
        return [(c["mode"], c["scenario"], c["correct"], c["property"], c["states"])
                for c in v["checks"]], v["counterexample"]["steps"]
    assert key(got) == key(direct)
    assert got["correct"] is False and "p" in rb.counterexample_text(got["counterexample"])
    ac = problems.get("atomic-commit")
    m = ac.load_candidate(str(ROOT / "examples" / "atomic_commit" / "paper_not_classical.json"))
    assert ac.verify(m, rounds=1, properties="paper")["correct"] is True
    v = ac.verify(m, rounds=1, properties="classical", backend="z3")
    assert v["correct"] is False and "violates V" in ac.counterexample_text(v["counterexample"])
