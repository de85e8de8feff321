"""A finished run's report checks (rbengine.run_checks): its answer's matrix at
more sizes and Spin's confirmation of its verdicts, through `rbtui run` and
`rbtui show` on real stores; a disagreement between backends is an error."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rbengine import oracle, run_checks
from rbengine.candidate import Candidate
from rbengine.store import Store

ROOT = Path(__file__).resolve().parent.parent
SPIN = shutil.which("spin") and shutil.which("gcc")


def cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "rbtui.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_a_finished_run_reports_and_records_its_checks(tmp_path):
    db = tmp_path / "s.sqlite"
    r = cli("run", "--target", "crash", "--episodes", "300", "--seed", "3", "--db", str(db),
            "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    checks = rep["checks"]
    assert checks["role"] == "result" and checks["hash"] == rep["result"]["hash"]
    m = checks["matrix"]
    assert m["n"] == [3, 3 + run_checks.SPAN] and m["backend"] == "builtin"
    cells = {(c["n"], c["f"]): c for c in m["cells"]}
    assert (3, 1) in cells and (6, 3) in cells and not cells[(6, 3)]["within_bound"]
    # each cell is the verification at that size
    cand = Candidate.from_json(rep["result"]["candidate"])
    for (n, f), c in cells.items():
        v = oracle.verify(cand, target="crash", n=n, f=f, backend="builtin", stop_early=True)
        assert (c["status"] == "correct") == v.correct
    assert checks["disagreements"] == []
    conf = checks["confirmation"]
    if SPIN:
        assert [c["role"] for c in conf["candidates"]][0] == "result"
        assert all(c["agrees"] is True and c["confirmer"] is True
                   for c in conf["candidates"] if c["role"] == "result")
    else:
        assert conf["skipped"] == "Spin is not installed"
    with Store(db, readonly=True) as st:
        assert st.run_checks(rep["id"]) == checks
    # shown as recorded, the store untouched
    before = digest(db)
    r = cli("show", str(rep["id"]), "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "generalisation of the result candidate" in r.stdout
    assert "correct at every size within the bound" in r.stdout
    if SPIN:
        assert "confirmation by Spin of the result candidate: confirmed (correct)" in r.stdout
    assert digest(db) == before


def test_checks_can_be_skipped_and_show_computes_them_without_writing(tmp_path):
    db = tmp_path / "s.sqlite"
    r = cli("run", "--target", "byzantine", "--episodes", "200", "--seed", "4", "--db",
            str(db), "--no-report-checks", "--json")
    assert r.returncode in (0, 1), r.stderr
    rep = json.loads(r.stdout)
    assert rep["checks"] is None and "checking its answer" not in r.stderr
    with Store(db, readonly=True) as st:
        assert st.run_checks(rep["id"]) is None
    before = digest(db)
    r = cli("show", str(rep["id"]), "--db", str(db), "--no-report-checks", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["checks"] is None
    r = cli("show", str(rep["id"]), "--db", str(db), "--json")
    assert r.returncode == 0, r.stderr
    checks = json.loads(r.stdout)["checks"]
    assert checks["matrix"]["n"] == [4, 7] and checks["disagreements"] == []
    assert {(c["n"], c["f"]) for c in checks["matrix"]["cells"]} == {
        (4, 1), (4, 2), (5, 1), (5, 2), (6, 1), (6, 2), (7, 1), (7, 2), (7, 3)}
    assert digest(db) == before


def _falsify(db: Path, where: str, correct: int) -> int:
    """Record wrong verdicts, as a broken backend would have."""
    c = sqlite3.connect(db)
    n = c.execute(f"UPDATE verdicts SET correct = ?, verdict = json_set(verdict, '$.correct', "
                  f"json(?)) WHERE {where}", (correct, "true" if correct else "false")).rowcount
    c.commit()
    c.close()
    return n


def test_show_reports_a_disagreement_loudly(tmp_path):
    db = tmp_path / "s.sqlite"
    r = cli("run", "--target", "crash", "--episodes", "300", "--seed", "3", "--db", str(db),
            "--no-report-checks", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    h = rep["result"]["hash"]
    assert _falsify(db, f"candidate_hash = '{h}'", 0) >= 1  # a correct result recorded incorrect
    r = cli("show", str(rep["id"]), "--db", str(db))
    assert r.returncode == 2, r.stdout
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("rbtui: error: backends disagree")]
    assert any("matrix cell N=3 F=1 (builtin) says ok" in e for e in errors), r.stderr
    if SPIN:
        assert any("Spin says the result candidate" in e and "is correct" in e for e in errors)
    assert "BACKENDS DISAGREE" in r.stdout


def test_a_run_on_false_verdicts_exits_2(tmp_path):
    db = tmp_path / "s.sqlite"
    args = ("run", "--target", "byzantine", "--episodes", "40", "--seed", "5", "--db", str(db),
            "--json")
    r = cli(*args, "--no-report-checks")
    assert r.returncode in (0, 1), r.stderr
    assert _falsify(db, "correct = 0", 1) > 0  # every incorrect candidate recorded correct
    r = cli(*args)  # the same run again: it reuses those verdicts
    assert r.returncode == 2, r.stderr
    rep = json.loads(r.stdout)
    truth = oracle.verify(Candidate.from_json(rep["result"]["candidate"]), target="byzantine",
                          n=4, backend="builtin")
    assert not truth.correct  # the result is wrong, and the report says so
    assert rep["checks"]["disagreements"]
    assert "rbtui: error: backends disagree" in r.stderr


@pytest.mark.skipif(not SPIN, reason="needs Spin and gcc")
def test_a_run_with_spin_is_not_confirmed_by_itself(tmp_path):
    db = tmp_path / "s.sqlite"
    r = cli("run", "--target", "none", "--episodes", "30", "--seed", "2", "--db", str(db),
            "--no-report-checks", "--json")
    assert r.returncode in (0, 1), r.stderr
    with Store(db) as st:
        st.update_run(1, config=st.run(1)["config"].replace('"backend":"builtin"',
                                                            '"backend":"spin"'))
        assert '"backend":"spin"' in st.run(1)["config"]
        checks = run_checks.compute(st, 1, span=0)
        assert checks["confirmation"] == {"backend": "spin", "skipped": "the run learned with Spin"}
        assert checks["matrix"]["backend"] == "spin" and len(checks["matrix"]["cells"]) == 1
        assert "skipped" in run_checks.text(checks)
