"""Snapshots of the main screens (pytest-textual-snapshot). Update them with
`pytest tests/test_app_snapshots.py --snapshot-update` after a deliberate change."""

from __future__ import annotations

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
