"""Snapshots of the main screens (pytest-textual-snapshot). Update them with
`pytest tests/test_app_snapshots.py --snapshot-update` after a deliberate change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rbengine.candidate import Candidate
from rbengine.oracle import verify
from rbtui.app import RbtuiApp

pytest.importorskip("pytest_textual_snapshot")

SIZE = (120, 40)
ALG3 = Candidate.loads(
    "broadcast: send_all type0\n"
    "receive: send_all type1 if type0 from 1; deliver if type1 from (N+F)/2; "
    "send_all type1 if type1 from F+1")


def steady_verdict():
    """A real verdict with its timings zeroed (they change from run to run)."""
    v = verify(ALG3, target="crash", n=3, backend="builtin")
    for c in v.checks:
        c.seconds = 0.0
    return v


def test_composer_snapshot(snap_compare, tmp_path):
    app = RbtuiApp(db_path=tmp_path / "store.sqlite", start="composer")

    async def before(pilot):
        app.screen.set_candidate(ALG3)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_verdict_snapshot(snap_compare, tmp_path):
    app = RbtuiApp(db_path=tmp_path / "store.sqlite", start="verdict")

    async def before(pilot):
        app.open_verdict(ALG3, steady_verdict())
        await pilot.pause()
        await pilot.press("n", "n", "n")

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_runs_snapshot_empty_store(snap_compare, tmp_path):
    app = RbtuiApp(db_path=tmp_path / "store.sqlite")
    assert snap_compare(app, terminal_size=SIZE)


# ---- both ends of the terminal sizes the layouts are made for ----------------
SMALL, WIDE = (80, 24), (220, 50)
EXAMPLE = Path(__file__).resolve().parent.parent / "store.sqlite.example"
ECHO = Candidate.loads("broadcast: send_all type0\n"
                       "receive: send_all type1 if type0 from 1; deliver if type1 from F+1")


def n7_verdict():
    v = verify(ECHO, only="byzantine", n=7, attacker="same-value", backend="builtin")
    for c in v.checks:
        c.seconds = 0.0
    return v


@pytest.mark.parametrize("size", [SMALL, WIDE], ids=["80x24", "220x50"])
def test_verdict_n7_snapshot(snap_compare, tmp_path, size):
    app = RbtuiApp(db_path=tmp_path / "store.sqlite", start="verdict")

    async def before(pilot):
        app.open_verdict(ECHO, n7_verdict())
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", [SMALL, (160, 40)], ids=["80x24", "160x40"])
def test_composer_result_snapshot(snap_compare, tmp_path, size):
    app = RbtuiApp(db_path=tmp_path / "store.sqlite", start="composer")

    async def before(pilot):
        screen = app.screen
        screen.set_candidate(ECHO)
        screen.query_one("#verify-n").value = "7"
        await pilot.pause()
        v = verify(ECHO, target="crash", n=7, backend="builtin")
        for c in v.checks:
            c.seconds = 0.0
        screen.last_verdict, screen.last_candidate = v, ECHO
        screen.last_params = screen.form_params()
        screen._show_result()
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", [SMALL, WIDE], ids=["80x24", "220x50"])
def test_live_view_snapshot(snap_compare, tmp_path, size):
    db = tmp_path / "store.sqlite"
    shutil.copy(EXAMPLE, db)
    app = RbtuiApp(db_path=db)

    async def before(pilot):
        await pilot.press("o")
        await pilot.pause()
        app.screen._redraw_plots()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", [SMALL, (120, 40)], ids=["80x24", "120x40"])
def test_ac_composer_snapshot(snap_compare, tmp_path, size):
    """The atomic commit Composer on the optimistic protocol, verified (times zeroed)."""
    from rbengine.atomic_commit import checker
    from rbengine.atomic_commit.model import Model
    app = RbtuiApp(db_path=tmp_path / "store.sqlite", start="ac-composer")

    async def before(pilot):
        screen = app.screen
        screen.open_example("optimistic")
        await pilot.pause()
        r = checker.check(screen.machine, Model(3, 2))
        r.seconds = 0.0
        screen.results, screen.last_machine = [r], screen.machine.copy()
        screen.last_params = screen.form_params()
        screen._show_result()
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=before)
