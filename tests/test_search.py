"""rbengine.search on real Dask clusters (LocalCluster, a scheduler started
here on 127.0.0.1), real SQLite stores and real kills, against brute force."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rbengine import metrics
from rbengine.config import RunConfig
from rbengine.fanout import Fanout, Serial
from rbengine.learner import Learner
from rbengine.oracle import verify
from rbengine.search import Search, report
from rbengine.space import Space
from rbengine.state import DONE, State
from rbengine.store import SCHEMA_VERSION, Store

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"heuristics": {"GH6": {"max": 3}}}  # 630 candidates, 16 levels


def small(target: str, **kw) -> RunConfig:
    return RunConfig.from_dict(dict(SMALL, target=target, **kw))


# ------------------------------------------------------------ brute force --
def learner_candidates(cfg: RunConfig) -> dict[tuple, float]:
    """Every final state of the learner's state graph (one global DFS, as
    bench/optimum.py always did) and its total reward."""
    L = Learner(cfg)
    seen, out, todo = set(), {}, [State()]
    while todo:
        s = todo.pop()
        if s.key in seen:
            continue
        seen.add(s.key)
        if s.phase == DONE:
            out[s.key] = L.accumulated(s)[0]
            continue
        todo.extend(s.add(a, L.stop) for a in L.heur.filter(s).allowed)
    return out


_BRUTE: dict = {}


def brute(target: str) -> tuple[dict, list[str]]:
    """(total reward -> (correct, incorrect), hashes of the cheapest correct
    candidates in the cost order): every candidate verified by the oracle."""
    if target in _BRUTE:
        return _BRUTE[target]
    cfg = small(target)
    L = Learner(cfg)
    hist: dict[float, list[int]] = {}
    good = []
    for key, reward in learner_candidates(cfg).items():
        s = State(*key)
        cand = s.candidate(L.actions)
        ok = verify(cand, target=target, n=cfg.n_value, backend="builtin").correct
        hist.setdefault(reward, [0, 0])[0 if ok else 1] += 1
        if ok:
            good.append(((-reward, *metrics.cost(cand, cfg.n_value, cfg.f_value), key),
                         cand.content_hash()))
    good.sort()
    best = -good[0][0][0]
    _BRUTE[target] = ({r: tuple(v) for r, v in hist.items()},
                      [h for rank, h in good if -rank[0] == best])
    return _BRUTE[target]


def histogram(search: Search) -> dict:
    return {r: (ok, bad) for r, ok, bad, _ in search.histogram()}


# ------------------------------------------------------------------ space --
@pytest.mark.parametrize("target,vocabulary,gh6", [("crash", "paper", 3), ("crash", "paper", 4),
                                                   ("byzantine", "sound", 3)])
def test_space_is_the_learners_state_graph_in_cost_order(target, vocabulary, gh6):
    cfg = RunConfig.from_dict({"target": target, "vocabulary": vocabulary,
                               "heuristics": {"GH6": {"max": gh6}}})
    sp = Space(cfg)
    expected = learner_candidates(cfg)
    got = {s.key: r for r, s in sp}
    assert got == expected and len(sp) == len(expected)
    assert all(sp.cost(s) == metrics.cost(sp.candidate(s), cfg.n_value, cfg.f_value)
               for _, s in sp)
    order = [sp.rank(s, r) for r, s in sp]
    assert order == sorted(order) and len(set(order)) == len(order)  # a total order
    assert list(sp.counts()) == sorted(sp.counts(), reverse=True)


# -------------------------------------------------- answers and backends --
@pytest.mark.parametrize("target", ["none", "crash"])
def test_two_workers_one_process_and_brute_force_agree(tmp_path, target):
    hist, cheapest = brute(target)
    with Store(tmp_path / "s.sqlite") as st:
        one = Search.start(st, small(target))
        with Serial() as fan:
            assert one.execute(fan) == "finished"
        assert one.certified() == cheapest
        opt = one.optimum()
        assert all(hist[r] == (0, hist[r][1]) for r in hist if r > opt)  # cheaper: incorrect
        # a fresh store, so the two workers verify everything themselves
    with Store(tmp_path / "t.sqlite") as st:
        two = Search.start(st, small(target), all_=True)
        with Fanout(workers=2) as fan:
            assert two.execute(fan, batch=16) == "finished"
        assert len({pid for _, pid in two.workers_used}) == 2
        assert two.certified() == cheapest and histogram(two) == hist
        rep = report(st, two.id)
        assert [c["hash"] for c in rep["certified"]] == cheapest
        # every verified candidate is in the verdict cache learning runs use
        from rbengine.search import make_cache
        cache = make_cache(small(target), store=st)
        assert all(cache.lookup(h) is not None for h in st.search_known(two.id))
        assert len(st.search_known(two.id)) == sum(ok + bad for ok, bad in hist.values())


def test_spin_on_two_workers_agrees(tmp_path):
    hist, cheapest = brute("crash")
    with Store(tmp_path / "s.sqlite") as st:
        s = Search.start(st, small("crash", backend="spin"))
        with Fanout(workers=2) as fan:
            assert s.execute(fan, batch=8) == "finished"
        assert s.certified() == cheapest
        assert all(histogram(s)[r] == hist[r] for r in hist if r >= s.optimum())


def test_a_search_reuses_the_verdicts_already_known(tmp_path):
    with Store(tmp_path / "s.sqlite") as st:
        first = Search.start(st, small("crash"))
        with Serial() as fan:
            first.execute(fan)
        calls = []
        again = Search.start(st, small("crash"))
        with Serial() as fan:
            again.execute(fan, on_batch=lambda k, r: calls.append(k))
        assert calls == [] and again.certified() == first.certified()


# ----------------------------------------------------------------- faults --
def test_a_killed_worker_has_its_batch_redone(tmp_path):
    hist, cheapest = brute("crash")
    killed = []

    def kill_once(count, result):
        if not killed:
            killed.append(result["pid"])
            os.kill(result["pid"], signal.SIGKILL)

    with Store(tmp_path / "s.sqlite") as st:
        s = Search.start(st, small("crash"), all_=True)
        with Fanout(workers=2) as fan:
            assert s.execute(fan, batch=4, window=6, on_batch=kill_once) == "finished"
        assert killed and s.verified == len(s.space)
        assert histogram(s) == hist and s.certified() == cheapest


def cli(*args: str, timeout: float = 180, env=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "rbtui.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=timeout)


def _rows(db: Path) -> int:
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return c.execute("SELECT count(*) FROM search_verdicts").fetchone()[0]
        finally:
            c.close()
    except sqlite3.Error:
        return 0


def test_kill_9_in_the_middle_then_resume_gives_the_same_answer(tmp_path):
    hist, cheapest = brute("crash")
    db = tmp_path / "k.sqlite"
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    proc = subprocess.Popen([sys.executable, "-m", "rbtui.cli", "search", "--target", "crash",
                             "--max-actions", "3", "--all", "--workers", "0", "--batch", "2",
                             "--backend", "reference", "--db", str(db), "--quiet"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _rows(db) < 60 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = _rows(db)
    assert 60 <= done < 630, "the search was not killed in the middle"
    r = cli("search", "--resume", "s1", "--workers", "0", "--backend", "builtin", "--db", str(db),
            "--json")  # verdicts do not depend on the backend
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["status"] == "finished" and rep["verified"] == 630
    assert [c["hash"] for c in rep["certified"]] == cheapest
    assert {h["reward"]: (h["correct"], h["incorrect"]) for h in rep["histogram"]} == hist
    r = cli("search", "--resume", "s1", "--workers", "0", "--db", str(db))
    assert r.returncode == 2 and "finished" in r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_an_unreachable_scheduler_is_one_clear_line_and_changes_nothing(tmp_path):
    db = tmp_path / "s.sqlite"
    Store(db).close()
    before = digest(db)
    port = _free_port()
    r = cli("search", "--target", "none", "--scheduler", f"tcp://127.0.0.1:{port}",
            "--connect-timeout", "2", "--db", str(db))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in r.stderr
    assert digest(db) == before


def test_a_scheduler_started_here(tmp_path):
    _, cheapest = brute("none")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=str(ROOT), DASK_DISTRIBUTED__LOGGING__DISTRIBUTED="error")
    quiet = dict(cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                              "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                               "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                              **quiet)
    try:
        r = cli("search", "--target", "none", "--max-actions", "3", "--scheduler", address,
                "--connect-timeout", "60", "--db", str(tmp_path / "s.sqlite"), "--json")
        assert r.returncode == 0, r.stderr
        assert [c["hash"] for c in json.loads(r.stdout)["certified"]] == cheapest
    finally:
        for p in (worker, sched):
            p.terminate()
        for p in (worker, sched):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def test_a_resumed_search_with_another_configuration_is_refused(tmp_path):
    db = tmp_path / "s.sqlite"
    r = cli("search", "--target", "crash", "--max-actions", "3", "--workers", "0",
            "--db", str(db), "--quiet")
    assert r.returncode == 0, r.stderr
    before = digest(db)
    r = cli("search", "--resume", "s1", "--max-actions", "4", "--all", "--db", str(db))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "GH6.max: 3 (the search) vs 4 (given)" in r.stderr
    r = cli("search", "--resume", "s1", "--target", "none", "--db", str(db))
    assert r.returncode == 2 and "target: 'crash' (the search) vs 'none'" in r.stderr
    assert digest(db) == before
    # the same space (an attacker does not change a crash search) continues
    r = cli("search", "--resume", "s1", "--attacker", "same-value", "--all", "--workers", "0",
            "--db", str(db), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["verified"] == 630


def test_a_store_from_a_newer_version_is_refused_untouched(tmp_path):
    db = tmp_path / "s.sqlite"
    Store(db).close()
    c = sqlite3.connect(db)
    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    c.commit()
    c.close()
    before = digest(db)
    r = cli("search", "--target", "none", "--workers", "0", "--db", str(db))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "newer" in r.stderr
    assert digest(db) == before


def test_a_version_1_store_gains_the_search_tables_and_keeps_its_runs(tmp_path):
    db = tmp_path / "old.sqlite"
    with Store(db) as st:
        st.create_run({"target": "none"}, 1, 10, "old")
    c = sqlite3.connect(db)
    c.execute("DROP TABLE searches")
    c.execute("DROP TABLE search_verdicts")
    c.execute("PRAGMA user_version = 1")
    c.commit()
    c.close()
    with Store(db, readonly=True) as st:
        assert st.searches() == [] and st.runs()[0]["name"] == "old"
    with Store(db) as st:
        assert st.searches() == [] and st.runs()[0]["name"] == "old"
        assert st.db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_runs_and_show_list_searches_and_a_run_reports_its_distance(tmp_path):
    db = str(tmp_path / "s.sqlite")
    r = cli("search", "--target", "none", "--workers", "0", "--db", db, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "certified cheapest correct candidates: total reward -5" in r.stdout
    r = cli("run", "--target", "none", "--episodes", "60", "--seed", "1", "--db", db, "-q")
    assert r.returncode == 0, r.stderr
    assert "optimum -5 (certified by search s1), this run " in r.stdout
    shown = json.loads(cli("show", "1", "--db", db, "--json").stdout)
    assert shown["optimum"]["reward"] == -5 and shown["optimum"]["search"] == "s1"
    assert shown["optimum"]["distance"] == -5 - shown["optimum"]["run"] >= 0  # reward lost
    table = cli("runs", "--db", db).stdout
    assert "searches (rbtui search):" in table and "s1" in table
    listed = json.loads(cli("runs", "--db", db, "--json").stdout)
    assert [x.get("kind") for x in listed] == [None, "search"]
    s1 = json.loads(cli("show", "s1", "--db", db, "--json").stdout)
    assert s1["optimum"] == -5 and s1["certified"][0]["notation"].startswith("broadcast: send_all")
    # a learning run in another space has no optimum to compare with
    r = cli("run", "--target", "crash", "--episodes", "20", "--seed", "1", "--db", db, "-q")
    assert "optimum" not in r.stdout


def test_sizes_certified_against_brute_force_reusing_the_smaller_sizes_verdicts(tmp_path):
    from rbengine.cache import oracle_key
    cfg3, cfg35 = small("crash"), small("crash", sizes="3,5")
    L = Learner(cfg35)
    good = []
    for key, reward in learner_candidates(cfg35).items():
        cand = State(*key).candidate(L.actions)
        if all(verify(cand, target="crash", n=n, backend="builtin").correct for n in (3, 5)):
            good.append(((-reward, *metrics.cost(cand, 3, 1), key), cand.content_hash()))
    good.sort()
    cheapest = [h for rank, h in good if rank[0] == good[0][0][0]]
    with Store(tmp_path / "s.sqlite") as st:
        with Serial() as fan:
            Search.start(st, cfg3, all_=True).execute(fan)
            new_keys = []
            s = Search.start(st, cfg35)
            s.execute(fan, on_batch=lambda k, r: new_keys.extend(v[1] for v in r["verdicts"]))
        assert s.certified() == cheapest
        assert new_keys and oracle_key("crash", 3, None, "full") not in new_keys
        assert report(st, s.id)["sizes"] == ["3", "5"]


def test_a_scheduler_that_dies_mid_search_is_one_line_and_the_search_resumes(tmp_path):
    hist, cheapest = brute("crash")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=str(ROOT), DASK_DISTRIBUTED__LOGGING__DISTRIBUTED="error")
    quiet = dict(cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                              "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                               "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                              **quiet)
    db = tmp_path / "s.sqlite"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the scheduler listens: a short timeout will do
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        # the client waits that long for a lost scheduler to come back before giving up
        proc = subprocess.Popen([sys.executable, "-m", "rbtui.cli", "search", "--target", "crash",
                                 "--max-actions", "3", "--all", "--scheduler", address,
                                 "--connect-timeout", "15", "--batch", "2", "--backend",
                                 "reference", "--db", str(db), "--quiet"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 90
        while _rows(db) < 40 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        sched.kill()
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, err
        assert err.count("\n") == 1 and "lost the Dask cluster" in err and "--resume s1" in err
        assert 40 <= _rows(db) < 630
    finally:
        for p in (worker, sched):
            p.kill()
            p.wait(10)
    r = cli("search", "--resume", "s1", "--workers", "0", "--backend", "builtin", "--db", str(db),
            "--json")  # verdicts do not depend on the backend
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert [c["hash"] for c in rep["certified"]] == cheapest
    assert {h["reward"]: (h["correct"], h["incorrect"]) for h in rep["histogram"]} == hist


def test_the_headless_progress_line(tmp_path):
    r = cli("search", "--target", "crash", "--max-actions", "3", "--all", "--workers", "0",
            "--db", str(tmp_path / "s.sqlite"))
    assert r.returncode == 0, r.stderr
    bars = [ln for ln in r.stderr.splitlines() if ln.startswith("search s1: ") and "|" in ln]
    last = bars[-1]
    assert "630/630 100.0% | level - | " in last and " cand/s | correct 39 incorrect 591" in last
    assert "cheapest correct -7" in last
    assert bars[0].startswith("search s1: 0/630   0.0% | level -3 |")


def test_a_maximum_left_to_the_vocabulary_is_the_same_space_as_the_vocabulary_value():
    from dataclasses import replace as _replace

    from rbengine.space import identity_key
    for vocabulary in ("paper", "sound"):
        cfg = RunConfig(target="none", vocabulary=vocabulary).validate()
        explicit = _replace(cfg, heuristics=cfg.heuristics.resolved(cfg.vocab()))
        assert cfg.heuristics.max_actions is None
        assert identity_key(cfg) == identity_key(explicit)
        other = _replace(cfg, heuristics=_replace(explicit.heuristics,
                                                  max_actions=explicit.heuristics.max_actions - 1))
        assert identity_key(other) != identity_key(cfg)
