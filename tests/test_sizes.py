"""Sizes: parsing, labels, the vacuous warning, verification over several
sizes and the per-size verdict cache in a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from rbengine import oracle, size
from rbengine.cache import VerdictCache, oracle_key
from rbengine.candidate import Candidate
from rbengine.config import ConfigError, RunConfig
from rbengine.size import Size, SizeError
from rbengine.store import Store
from rbengine.verdict import Verdict

ROOT = Path(__file__).resolve().parent.parent
BRACHA = Candidate.load(ROOT / "examples" / "bracha.txt")
# Learned at N=4 F=1: correct there and up to N=7 F=1, wrong at N=7 F=2.
LEARNED = Candidate.loads("broadcast: send_myself type0\nreceive: send_all type0 if type0 from "
                          "origin; send_all type1 if type0 from (N+F)/2; deliver if type1 from F+1")


def test_parse_sizes():
    assert size.parse("4,7:2,10:3") == [Size(4), Size(7, 2), Size(10, 3)]
    assert size.parse(" 4 , 4 ,7:2") == [Size(4), Size(7, 2)]  # duplicates dropped
    assert size.parse([4, "7:2", [10, 3], [5, None]]) == [Size(4), Size(7, 2), Size(10, 3), Size(5)]
    assert size.text(size.parse("7:2,4")) == "7:2,4"
    assert size.ordered(size.parse("10:3,4,7:2"), "byzantine") == [Size(4), Size(7, 2), Size(10, 3)]
    assert Size(7).f_for("byzantine") == 2 and Size(7).f_for("crash") == 3
    assert Size(7, 1).f_for("none") == 0
    for bad, msg in (("", "empty size"), ("4,,5", "empty size"), ("x", "bad size"),
                     ("4:y", "bad size"), ("1", "out of range"), ("99", "out of range"),
                     ("4:4", "F=4 is out of range"), ("4:-1", "out of range")):
        with pytest.raises(SizeError, match=msg):
            size.parse(bad)
    with pytest.raises(SizeError):
        size.parse([True])


def test_bound_and_vacuous_labels():
    assert size.within_bound("byzantine", 4, 1) and not size.within_bound("byzantine", 6, 2)
    assert size.within_bound("crash", 5, 2) and not size.within_bound("crash", 4, 2)
    assert size.check_label("byzantine", 6, 2) == "beyond bound"
    assert size.check_label("byzantine", 3, 0) == "vacuous"
    assert size.check_label("none", 3, 0) == ""
    notes = size.notes(size.parse("3,6:2"), ("none", "crash", "byzantine"))
    kinds = [(n.kind, n.mode, n.n, n.f) for n in notes]
    # N=3: crash F=1 is fine, byzantine F=0 is vacuous; N=6 F=2: crash fine, byzantine beyond
    assert kinds == [("vacuous", "byzantine", 3, 0), ("beyond-bound", "byzantine", 6, 2)]
    assert "no process can fail" in notes[0].text() and "N > 3F" in notes[1].text()


def test_verify_over_sizes_per_size_and_per_scenario():
    v = oracle.verify(LEARNED, sizes="7:2,4", backend="builtin")
    assert v.sizes == ["4", "7:2"]  # cheapest first
    per = v.per_size()
    assert [e["size"] for e in per] == ["4", "7:2"]
    assert per[0]["correct"] is True and per[1]["correct"] is False
    assert not v.correct and v.failed.n == 7 and v.failed.f == 2
    assert "N=7 F=2" in v.summary()
    assert {c.size for c in v.checks} == {"4", "7:2"}
    # stop_early: the size after a failing one is not checked at all
    v2 = oracle.verify(LEARNED, sizes="4,7:2,10:3", backend="builtin", stop_early=True)
    assert [e["correct"] for e in v2.per_size()] == [True, False, None]
    # a round trip through JSON keeps sizes, labels and the counterexample
    again = Verdict.from_json(v.to_json(), "builtin")
    assert again.sizes == v.sizes and again.counterexample == v.counterexample
    assert again.failed.size == "7:2"
    js = v.to_json()
    assert [e["size"] for e in js["sizes"]] == ["4", "7:2"]
    assert all("label" in c for c in js["checks"])


def test_vacuous_and_beyond_bound_are_reported_not_hidden():
    v = oracle.verify(BRACHA, only="byzantine", sizes="3,6:2", backend="builtin")
    assert any("no process can fail" in n for n in v.notes)
    assert any("beyond the resilience bound" in n for n in v.notes)
    labels = {(c.n, c.f): c.label for c in v.checks}
    assert labels[(3, 0)] == "vacuous" and labels[(6, 2)] == "beyond bound"
    with pytest.raises(Exception, match="not both"):
        oracle.verify(BRACHA, sizes="4", n=4, backend="builtin")


def test_n_limit_raised_and_checked():
    assert oracle.plan("byzantine", None, 13)[-1].n == 13
    with pytest.raises(Exception, match="out of range"):
        oracle.plan("byzantine", None, size.MAX_N + 1)


def test_cache_reuses_verdicts_across_sizes_in_a_real_store(tmp_path):
    db = tmp_path / "store.sqlite"
    store = Store(db)
    one = VerdictCache("byzantine", 4, None, "full", "builtin", store=store)
    assert one.key == oracle_key("byzantine", 4, None, "full")  # one size: the old key
    rec, hit = one.verify(BRACHA)
    assert rec.correct and not hit
    store.save_verdicts(one.drain())
    store.close()

    store = Store(db)
    two = VerdictCache("byzantine", None, None, "full", "builtin", store=store, sizes="4,5:1")
    assert [k for _, k in two.sizes][0] == one.key
    rec, hit = two.verify(BRACHA)
    assert rec.correct and not hit
    new = two.drain()
    # only the new size was checked; N=4's verdict came from the store
    assert [k for k, _, _ in new] == [oracle_key("byzantine", 5, 1, "full")]
    assert {c["n"] for c in rec.data["checks"]} == {4, 5}
    assert [e["size"] for e in rec.data["sizes"]] == ["4", "5:1"]
    store.save_verdicts(new)
    # both sizes known now: a hit, and lookup() combines them
    three = VerdictCache("byzantine", None, None, "full", "builtin", store=store, sizes="5:1,4")
    rec3, hit3 = three.verify(BRACHA)
    assert hit3 and rec3.correct and three.lookup(BRACHA.content_hash()).correct
    store.close()


def test_cache_stops_at_the_first_failing_size():
    c = VerdictCache("byzantine", None, None, "full", "builtin", sizes="4,7:2,10:3")
    rec, _ = c.verify(LEARNED)
    assert not rec.correct and "N=7 F=2" in rec.summary
    assert [k for k, _, _ in c.drain()] == [k for _, k in c.sizes[:2]]  # 10:3 never checked
    # a known failing size decides without the later ones
    assert c.lookup(LEARNED.content_hash()) is not None


def test_correct_says_what_verify_says_and_records_the_same_verdicts():
    """A search's workers ask only correct(); it must agree with verify() and
    leave the same records per size for the store."""
    from rbengine.sampling import reference as ref_candidate
    for cand in (LEARNED, BRACHA, ref_candidate("bracha"), Candidate.loads(
            "broadcast: send_all type0\nreceive: deliver if type0 from 1")):
        a = VerdictCache("byzantine", None, None, "full", "builtin", sizes="4,7:2")
        b = VerdictCache("byzantine", None, None, "full", "builtin", sizes="4,7:2")
        assert a.correct(cand) == b.verify(cand)[0].correct
        assert [(k, h, r.correct, r.summary) for k, h, r in a.drain()] == \
            [(k, h, r.correct, r.summary) for k, h, r in b.drain()]
        assert a.correct(cand) == b.verify(cand)[0].correct  # now from memory
    assert VerdictCache("byzantine", None, None, "full", "builtin", sizes="4").correct(BRACHA)


def test_config_sizes():
    c = RunConfig(target="byzantine", sizes="7:2,4").validate()
    assert c.n_value == 4 and c.f_value == 1
    assert [s.text() for s in c.size_list()] == ["4", "7:2"]
    assert RunConfig.from_dict({"target": "byzantine", "sizes": [4, [7, 2]]}).sizes == "4,7:2"
    assert RunConfig.from_dict(c.to_dict()) == c
    assert c.override(n=5).sizes is None
    assert RunConfig(target="byzantine", n=5).override(sizes="4,7:2").n is None
    with pytest.raises(ConfigError, match="not both"):
        RunConfig(target="byzantine", n=4, sizes="4").validate()
    with pytest.raises(ConfigError, match="sizes"):
        RunConfig.from_dict({"target": "byzantine", "sizes": "4:9"})


# ------------------------------------------------------------ the command --
def _cli(*args: str):
    import os
    import subprocess
    import sys
    env = dict(os.environ, NO_COLOR="", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "rbtui.cli", *args], text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=120)


def test_verify_sizes_exit_codes_and_output(tmp_path):
    import json
    learned = tmp_path / "learned.txt"
    learned.write_text(LEARNED.notation())
    ok = _cli("verify", str(learned), "--sizes", "5:1,4", "--backend", "builtin")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.index("size 4: correct") < ok.stdout.index("size 5:1: correct")
    assert "byzantine (full)  N=5 F=1  broadcaster-faulty" in ok.stdout
    bad = _cli("verify", str(learned), "--sizes", "4,7:2", "--backend", "builtin", "--json")
    assert bad.returncode == 1, bad.stderr
    data = json.loads(bad.stdout)
    assert [(e["size"], e["correct"]) for e in data["sizes"]] == [("4", True), ("7:2", False)]
    assert data["counterexample"]["n"] == 7 and data["counterexample"]["f"] == 2
    assert all(c["size"] in ("4", "7:2") for c in data["checks"])
    # vacuous: a warning on stderr, the (vacuous) verdict still printed
    vac = _cli("verify", str(ROOT / "examples" / "bracha.txt"), "--only", "byzantine",
               "--sizes", "3", "--backend", "builtin")
    assert vac.returncode == 0 and "warning: byzantine at N=3 has F=0" in vac.stderr
    assert "(vacuous)" in vac.stdout
    beyond = _cli("verify", str(learned), "--only", "byzantine", "--sizes", "6:2",
                  "--backend", "builtin", "--json")
    assert "beyond the resilience bound" in beyond.stderr
    assert json.loads(beyond.stdout)["checks"][0]["label"] == "beyond bound"
    # bad input: one line, exit 2
    for args in (("--sizes", "4:x"), ("--sizes", "4", "--n", "4"), ("--sizes", "4:4")):
        p = _cli("verify", str(learned), "--backend", "builtin", *args)
        assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
    # the old single size still works
    old = _cli("verify", str(learned), "--n", "4", "--backend", "builtin")
    assert old.returncode == 0 and "size " not in old.stdout


def test_run_with_sizes_checks_every_size_and_reports_them(tmp_path):
    import json
    import sqlite3
    db = tmp_path / "s.sqlite"
    p = _cli("run", "--target", "byzantine", "--sizes", "5:1,4", "--episodes", "40",
             "--seed", "3", "--db", str(db), "-q", "--json")
    assert p.returncode in (0, 1), p.stderr
    report = json.loads(p.stdout)
    assert report["sizes"] == ["4", "5:1"] and report["n"] == 4 and report["f"] == 1
    keys = {r[0] for r in sqlite3.connect(db).execute("SELECT DISTINCT oracle_key FROM verdicts")}
    assert oracle_key("byzantine", 4, None, "full") in keys  # every candidate, at N=4
    cfg = json.loads(sqlite3.connect(db).execute("SELECT config FROM runs").fetchone()[0])
    assert cfg["sizes"] == "5:1,4" and cfg["n"] is None  # as written; checked cheapest first
    show = _cli("show", "1", "--db", str(db))
    assert "sizes 4, 5:1" in show.stdout
    again = _cli("run", "--resume", "1", "--sizes", "4", "--db", str(db))
    assert again.returncode == 2 and "--sizes" in again.stderr
    both = _cli("run", "--target", "byzantine", "--sizes", "4", "--n", "4", "--db", str(db))
    assert both.returncode == 2 and "not both" in both.stderr
    vac = _cli("run", "--target", "byzantine", "--sizes", "3,4", "--episodes", "2",
               "--db", str(db), "-q")
    assert "warning: byzantine at N=3 has F=0" in vac.stderr
