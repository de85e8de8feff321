"""The store (SQLite), checkpoints and resumable runs, with real files and processes."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rbengine.config import RunConfig
from rbengine.errors import StoreError
from rbengine.run import Run
from rbengine.store import SCHEMA_VERSION, Store

ROOT = Path(__file__).resolve().parent.parent


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def finished_run(path: Path, **kw) -> Run:
    cfg = RunConfig(**{"target": "none", "episodes": 60, "seed": 1, **kw})
    with Store(path) as s:
        r = Run.start(s, cfg)
        r.execute()
    return r


def test_new_store_has_schema_and_wal(tmp_path):
    p = tmp_path / "s.sqlite"
    with Store(p):
        pass
    c = sqlite3.connect(p)
    assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    c.close()


def test_default_location_is_overridable(tmp_path, monkeypatch):
    from rbengine import store
    monkeypatch.setenv("RBTUI_STORE", str(tmp_path / "x.sqlite"))
    assert store.default_path() == tmp_path / "x.sqlite"
    monkeypatch.delenv("RBTUI_STORE")
    assert store.default_path().name == "store.sqlite" and "rbtui" in str(store.default_path())


def test_store_from_a_newer_version_is_refused_untouched(tmp_path):
    p = tmp_path / "s.sqlite"
    finished_run(p, episodes=5)
    c = sqlite3.connect(p)
    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    c.execute("PRAGMA journal_mode = DELETE")
    c.close()
    before = digest(p)
    with pytest.raises(StoreError, match="newer"):
        Store(p)
    with pytest.raises(StoreError, match="newer"):
        Store(p, readonly=True)
    assert digest(p) == before


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign"])
def test_corrupt_or_foreign_file_is_refused_untouched(tmp_path, damage):
    p = tmp_path / "s.sqlite"
    if damage == "garbage":
        p.write_bytes(os.urandom(5000))
    elif damage == "foreign":
        c = sqlite3.connect(p)
        c.execute("CREATE TABLE photos (id INTEGER)")
        c.commit()
        c.close()
    else:
        finished_run(p, episodes=30)
        c = sqlite3.connect(p)
        c.execute("PRAGMA journal_mode = DELETE")
        c.close()
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])
    before = digest(p)
    with pytest.raises(StoreError) as err:
        Store(p)
    assert "\n" not in str(err.value)
    assert digest(p) == before
    assert not Path(str(p) + "-wal").exists()


def test_run_is_recorded(tmp_path):
    p = tmp_path / "s.sqlite"
    r = finished_run(p, episodes=80)
    with Store(p, readonly=True) as s:
        row = s.run(r.id)
        assert row["status"] == "finished" and row["episodes_done"] == 80
        assert row["correct_episodes"] + row["incorrect_episodes"] == 80
        eps = s.episodes(r.id)
        assert [e["episode"] for e in eps] == list(range(1, 81))
        assert all(e["states"] > 0 for e in eps)
        assert s.candidate(row["result_hash"]) == r.learner.result
        assert len(s.qtable_rows(r.id)) == r.learner.qt.pairs()
        ck = s.load_checkpoint(r.id)
        assert ck["episodes_done"] == 80 and "state" in ck["rng"]
        v = s.get_verdict(row["result_hash"], r.learner.cache.key)
        assert v is not None and v.correct


def test_verdicts_are_shared_across_runs(tmp_path):
    p = tmp_path / "s.sqlite"
    finished_run(p, episodes=50, seed=3)
    with Store(p) as s:
        r = Run.start(s, RunConfig(target="none", episodes=50, seed=3))
        r.execute()
        assert r.learner.cache.hits >= 49  # same seed, same candidates: all from the store


def _same_result(a: Run, b: Run) -> None:
    La, Lb = a.learner, b.learner
    assert La.qt.snapshot(La.actions) == Lb.qt.snapshot(Lb.actions)
    assert La.result == Lb.result and La.final.candidate == Lb.final.candidate
    assert La.known == Lb.known and La.dead.keys == Lb.dead.keys
    assert La.best.to_json() == Lb.best.to_json()
    assert La.rng.bit_generator.state == Lb.rng.bit_generator.state
    assert (La.guide is None) == (Lb.guide is None)
    if La.guide is not None:
        assert La.guide.to_json() == Lb.guide.to_json()


@pytest.mark.parametrize("untried,descend,sizes,seed,pause", [
    ("first", False, None, 9, 95), ("guided", False, None, 9, 95), ("first", True, None, 9, 95),
    # repairs of candidates correct at 3:1 only, in episodes 150 and 192
    ("first", True, "3:1,5:2", 9, 95),
    # the repair of episode 18's near miss (failing the last scenario at 3:1)
    # needs the restored run to know it holds no correct candidate yet
    ("first", True, "3:1,5:2", 4, 10),
])
def test_pause_and_resume_equals_uninterrupted(tmp_path, untried, descend, sizes, seed, pause):
    cfg = RunConfig(target="crash", episodes=200, seed=seed, checkpoint_every=7,
                    untried=untried, descend=descend, sizes=sizes)
    with Store(tmp_path / "a.sqlite") as s:
        whole = Run.start(s, cfg)
        whole.execute()
    with Store(tmp_path / "b.sqlite") as s:
        r = Run.start(s, cfg)
        seen = []

        def progress(p):
            seen.append(p)

        stopper = r.learner.run_episode
        count = {"n": 0}

        def run_episode(cancel=None):  # pause after `pause` episodes
            out = stopper(cancel=cancel)
            count["n"] += 1
            if count["n"] == pause:
                r.stop()
            return out

        r.learner.run_episode = run_episode
        assert r.execute(progress=progress, progress_interval=0) == "paused"
        assert s.run(r.id)["episodes_done"] == pause and seen and seen[-1].episode == pause
        assert seen[-1].correct + seen[-1].incorrect == pause
        r2 = Run.resume(s, r.id)
        assert r2.learner.episodes_done == pause
        if descend and seed == 4:
            assert r2.learner.best is None  # the repair of episode 18 is still to come
        assert r2.execute() == "finished"
    _same_result(whole, r2)


def test_a_pause_during_a_walk_then_resume_equals_uninterrupted(tmp_path):
    """descend = true: a pause asked while a repair walks (crash seed 4 at 3:1
    and 5:2, whose first near miss comes in episode 18) abandons that episode;
    the run pauses with the episodes before it, and resumed it ends exactly as
    the uninterrupted run."""
    cfg = RunConfig(target="crash", episodes=60, seed=4, checkpoint_every=7, descend=True,
                    sizes="3:1,5:2")
    with Store(tmp_path / "a.sqlite") as s:
        whole = Run.start(s, cfg)
        whole.execute()
    with Store(tmp_path / "b.sqlite") as s:
        r = Run.start(s, cfg)
        real = r.learner._repair
        asked = []

        def pause_when_walking(cand, episode, chain=True, cancel=None):
            if not asked:
                asked.append(episode)
                r.stop()
            return real(cand, episode, chain, cancel)

        r.learner._repair = pause_when_walking
        assert r.execute() == "paused"
        assert asked == [18] and s.run(r.id)["episodes_done"] == 17
        r2 = Run.resume(s, r.id)
        assert r2.learner.episodes_done == 17 and r2.learner.best is None
        assert r2.execute() == "finished"
    _same_result(whole, r2)


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from rbengine.config import RunConfig
    from rbengine.run import Run
    from rbengine.store import Store
    s = Store(sys.argv[1])
    Run.start(s, RunConfig(target="none", episodes=int(sys.argv[2]), seed=int(sys.argv[3]))).execute()
""")


def test_kill_9_then_resume_equals_uninterrupted(tmp_path):
    episodes, seed = 1000, 21
    cfg = RunConfig(target="none", episodes=episodes, seed=seed)
    with Store(tmp_path / "whole.sqlite") as s:
        whole = Run.start(s, cfg)
        whole.execute()
    p = tmp_path / "killed.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(p), str(episodes), str(seed)],
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    done = 0
    deadline = time.time() + 60
    try:
        while time.time() < deadline:
            time.sleep(0.05)
            if p.exists():
                try:
                    with Store(p, readonly=True) as s:
                        rows = s.runs()
                    done = rows[0]["episodes_done"] if rows else 0
                except (StoreError, sqlite3.Error):
                    continue
            if done >= 120:
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Store(p) as s:
        row = s.runs()[0]
        assert row["status"] == "running" and 120 <= row["episodes_done"] < episodes
        r = Run.resume(s, row["id"])
        assert r.learner.episodes_done == row["episodes_done"]
        assert r.execute() == "finished"
        assert len(s.episodes(row["id"])) == episodes
    _same_result(whole, r)


def test_resume_refusals(tmp_path):
    p = tmp_path / "s.sqlite"
    r = finished_run(p, episodes=10)
    with Store(p) as s:
        with pytest.raises(StoreError, match="finished"):
            Run.resume(s, r.id)
        with pytest.raises(StoreError, match="no run"):
            Run.resume(s, 99)
        more = Run.resume(s, r.id, episodes=20)  # a finished run can be extended
        assert more.execute() == "finished" and s.run(r.id)["episodes_done"] == 20
    _same_result(more, finished_run(tmp_path / "t.sqlite", episodes=20))


def test_stop_with_finish_keeps_the_plan_and_resumes_towards_it(tmp_path):
    p = tmp_path / "s.sqlite"
    with Store(p) as s:
        r = Run.start(s, RunConfig(target="none", episodes=40, seed=1))
        stopped = []

        def progress(pg):
            if pg.episode >= 10 and not stopped:
                stopped.append(pg.episode)
                r.stop(finish=True)
        assert r.execute(progress=progress, progress_interval=0.0) == "finished"
        row = s.run(r.id)
        assert row["episodes_planned"] == 40 and row["episodes_done"] < 40
        assert row["final_hash"] and "stopped at" in row["message"]
        again = Run.resume(s, r.id)
        assert again.execute() == "finished"
        row = s.run(r.id)
        assert row["episodes_done"] == 40 and row["message"] is None


def test_a_store_of_schema_1_is_read_as_it_is_and_migrated_when_written(tmp_path):
    import shutil
    p = tmp_path / "old.sqlite"
    shutil.copy(ROOT / "store.sqlite.example", p)  # written with schema 1
    c = sqlite3.connect(p)
    assert c.execute("PRAGMA user_version").fetchone()[0] == 1
    runs_before = c.execute("SELECT id, status, episodes_done FROM runs").fetchall()
    c.close()
    before = digest(p)
    with Store(p, readonly=True) as s:
        rows = s.runs()
        assert [(r["id"], r["status"], r["episodes_done"]) for r in rows] == runs_before
        assert "request" not in rows[0] and s.pending_request(rows[0]["id"]) is None
    assert digest(p) == before
    with Store(p) as s:  # opened for writing: migrated, data kept
        assert s.db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
        rid = s.runs()[0]["id"]
        assert s.runs()[0]["request"] is None
        assert not s.request(rid, "pause")  # not running: nothing to ask
        s.update_run(rid, status="running")
        assert s.request(rid, "stop") and s.pending_request(rid) == "stop"
        with pytest.raises(StoreError):
            s.request(rid, "explode")
    with Store(p, readonly=True) as s:
        assert [(r["id"], r["episodes_done"]) for r in s.runs()] == [(i, d) for i, _s, d in runs_before]


def test_a_store_of_schema_2_gains_the_request_column(tmp_path):
    p = tmp_path / "v2.sqlite"
    finished_run(p, episodes=5)
    c = sqlite3.connect(p)
    c.execute("ALTER TABLE runs DROP COLUMN request")
    c.execute("PRAGMA user_version = 2")
    c.commit()
    c.close()
    with Store(p, readonly=True) as s:
        assert s.runs()[0]["episodes_done"] == 5 and s.pending_request(1) is None
    with Store(p) as s:
        assert s.runs()[0]["request"] is None and s.runs()[0]["episodes_done"] == 5
        assert s.db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert s.run_checks(1) is None


# ------------------------------------------------- schema 5: keys and names --
def _foreign_keys(conn: sqlite3.Connection, table: str) -> set[tuple[str, str, str]]:
    return {(r[3], r[2], r[4]) for r in conn.execute(f"PRAGMA foreign_key_list({table})")}


def _primary_key(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in sorted(conn.execute(f"PRAGMA table_info({table})"), key=lambda r: r[5])
            if r[5]]


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def _check_keys_and_names(conn: sqlite3.Connection) -> None:
    from rbengine.store import FOREIGN_KEYS, RENAMED_COLUMNS
    for table, keys in FOREIGN_KEYS.items():
        assert _foreign_keys(conn, table) == set(keys), table
    assert ("run_id", "runs", "id") in _foreign_keys(conn, "episodes")
    for table, renames in RENAMED_COLUMNS.items():
        cols = _columns(conn, table)
        assert not set(renames) & cols and set(renames.values()) <= cols, (table, cols)
    # "correct" alone is a verdict (0 or 1) wherever it is a column
    for table in ("episodes", "verdicts", "search_verdicts"):
        assert {r[0] for r in conn.execute(f"SELECT DISTINCT correct FROM {table}")} <= {0, 1}
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_new_store_declares_and_enforces_its_foreign_keys(tmp_path):
    p = tmp_path / "s.sqlite"
    finished_run(p, episodes=20)
    with Store(tmp_path / "s.sqlite") as s:
        from rbengine.fanout import Serial
        from rbengine.search import Search
        search = Search.start(s, RunConfig.from_dict({"target": "none", "heuristics": {"GH6": {"max": 3}}}))
        with Serial() as fan:
            search.execute(fan)
        _check_keys_and_names(s.db.conn)
        assert s.searches()[0]["correct_candidates"] >= 1
        row = s.run(1)
        assert row["correct_episodes"] + row["incorrect_episodes"] == 20
        with pytest.raises(sqlite3.IntegrityError):  # an episode of no run
            s.db.conn.execute("INSERT INTO episodes (run_id, episode, candidate_hash, correct) "
                              "VALUES (99, 1, ?, 1)", (row["best_hash"],))
        with pytest.raises(sqlite3.IntegrityError):  # a checkpoint of no run
            s.db.conn.execute("INSERT INTO checkpoints (run_id, episode, learner) "
                              "VALUES (99, 1, '{}')")
        s.delete_run(1)
        assert s.runs() == [] and s.db.conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_store_of_schema_4_is_read_under_the_new_names_and_migrated_when_written(tmp_path):
    """A schema-4 store: the counts named correct/incorrect, no foreign keys."""
    p = tmp_path / "v4.sqlite"
    finished_run(p, episodes=30)
    with Store(p) as s:
        from rbengine.fanout import Serial
        from rbengine.search import Search
        with Serial() as fan:
            cfg = RunConfig.from_dict({"target": "none", "heuristics": {"GH6": {"max": 3}}})
            Search.start(s, cfg).execute(fan)
        before_run, before_search = s.run(1), s.search(1)
    c = sqlite3.connect(p)
    for table, renames in (("runs", {"correct_episodes": "correct", "incorrect_episodes": "incorrect"}),
                           ("searches", {"correct_candidates": "correct",
                                         "incorrect_candidates": "incorrect"})):
        for new, old in renames.items():
            c.execute(f"ALTER TABLE {table} RENAME COLUMN {new} TO {old}")
    keys = {t: _primary_key(c, t) for t in ("episodes", "qtable", "learner_state")}
    for table in keys:  # as before schema 5: no foreign keys
        sql = c.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        name = r"""[\["]?\w+[\]"]?"""  # a name, bare or quoted
        sql = re.sub(rf"\s+REFERENCES\s+{name}\s*\({name}\)", "", sql)
        c.execute(re.sub(rf"^CREATE TABLE {name}", f"CREATE TABLE old_{table}", sql))
        c.execute(f"INSERT INTO old_{table} SELECT * FROM {table}")
        c.execute(f"DROP TABLE {table}")
        c.execute(f"ALTER TABLE old_{table} RENAME TO {table}")
        assert _foreign_keys(c, table) == set() and _primary_key(c, table) == keys[table]
    c.execute("PRAGMA user_version = 4")
    c.commit()
    c.close()
    episodes = len(sqlite3.connect(p).execute("SELECT * FROM episodes").fetchall())
    before = digest(p)
    with Store(p, readonly=True) as s:  # read as it is, under today's names
        assert s.run(1) == before_run and s.runs() == [before_run]
        assert s.search("s1") == before_search and s.searches() == [before_search]
    assert digest(p) == before
    with Store(p) as s:
        assert s.db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        _check_keys_and_names(s.db.conn)
        assert {t: _primary_key(s.db.conn, t) for t in keys} == keys
        assert s.run(1) == before_run and s.search(1) == before_search
        assert len(s.episodes(1)) == episodes == 30
    with Store(p) as s:  # and the migrated store keeps working
        assert Run.resume(s, 1, episodes=40).execute() == "finished"
    with Store(p, readonly=True) as s:
        row = s.run(1)
        assert row["correct_episodes"] + row["incorrect_episodes"] == 40


def test_the_example_store_migrates_to_the_current_schema_and_keeps_its_counts(tmp_path):
    import shutil
    p = tmp_path / "example.sqlite"
    shutil.copy(ROOT / "store.sqlite.example", p)
    c = sqlite3.connect(p)
    old = c.execute("SELECT id, correct, incorrect FROM runs").fetchall()
    c.close()
    with Store(p, readonly=True) as s:
        assert [(r["id"], r["correct_episodes"], r["incorrect_episodes"]) for r in s.runs()] == old
    with Store(p) as s:
        _check_keys_and_names(s.db.conn)
        assert [(r["id"], r["correct_episodes"], r["incorrect_episodes"]) for r in s.runs()] == old
