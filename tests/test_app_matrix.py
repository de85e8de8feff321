"""The matrix view (rbtui/screens/matrix.py) from the Composer and the Runs
screen, filled by the real built-in oracle in a worker; a failing cell opens
its counterexample in the Verdict screen; Escape cancels; the Composer's F."""

from __future__ import annotations

from app_helpers import SIZE, RecordingApp, run, wait_until
from textual.widgets import DataTable, Input, ProgressBar, Select, Static

from rbengine import matrix
from rbengine.candidate import Candidate
from rbengine.config import RunConfig
from rbengine.run import Run
from rbengine.store import Store
from rbtui.screens.matrix import MatrixScreen

LEARNED = Candidate.loads(
    "broadcast: send_myself type0\nreceive: send_all type0 if type0 from origin; "
    "send_all type1 if type0 from (N+F)/2; deliver if type1 from F+1")
BRACHA = Candidate.loads(
    "broadcast: send_all type0\nreceive: send_all type1 if type0 from origin; "
    "send_all type2 if type1 from (N+F)/2; send_all type2 if type2 from F+1; "
    "deliver if type2 from 2F+1")


def form(screen, mode="byzantine", n="4", f="", backend="builtin", scope="target"):
    screen.query_one("#verify-scope", Select).value = scope
    screen.query_one("#verify-mode", Select).value = mode
    screen.query_one("#verify-n", Input).value = n
    screen.query_one("#verify-f", Input).value = f
    screen.query_one("#verify-backend", Select).value = backend


def test_composer_matrix_fills_and_a_failing_cell_opens_its_counterexample(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="composer")
        async with app.run_test(size=SIZE) as pilot:
            composer = app.screen
            composer.set_candidate(LEARNED)
            form(composer)
            await pilot.pause()
            await pilot.press("ctrl+t")
            await wait_until(pilot, lambda: isinstance(app.screen, MatrixScreen), what="matrix")
            mx = app.screen
            await wait_until(pilot, lambda: not mx.running, timeout=60, what="the cells")
            m = mx.matrix
            assert (m.lo, m.hi) == (4, 7) and set(m.cells) == set(matrix.sizes("byzantine", 4, 7))
            # each cell is what a plain cell computation says
            assert all(m.cells[(n, 1)].status == "correct" for n in range(4, 8))
            assert m.cells[(7, 2)].status == "violated" and m.cells[(7, 2)].property == "agreement"
            assert mx.query_one("#matrix-progress", ProgressBar).progress == len(m.cells)
            table = mx.query_one("#matrix-table", DataTable)
            assert "agreement" in str(table.get_cell("7", "2"))
            assert "not correct at every size" in str(mx.query_one("#matrix-status", Static).render())
            # a correct cell has no counterexample to open
            table.move_cursor(row=0, column=1)
            await pilot.press("enter")
            assert isinstance(app.screen, MatrixScreen) and app.notes[-1][0] == "warning"
            table.move_cursor(row=3, column=2)  # N=7, F=2
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.current_mode == "verdict", what="the verdict")
            view = app.verdict_view
            cx = view.verdict.counterexample
            assert not view.verdict.correct and (cx.n, cx.f) == (7, 2)
            assert cx.property == "agreement" and view.params["f"] == 2
            assert not app.errors()
    run(scenario())


def test_escape_cancels_the_matrix_then_closes_it(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="composer")
        async with app.run_test(size=SIZE) as pilot:
            composer = app.screen
            composer.set_candidate(BRACHA)
            form(composer, n="7", backend="reference")  # the unreduced search: slow cells
            await pilot.pause()
            await pilot.press("ctrl+t")
            await wait_until(pilot, lambda: isinstance(app.screen, MatrixScreen), what="matrix")
            mx = app.screen
            await wait_until(pilot, lambda: len(mx.matrix.cells) >= 1, timeout=60,
                             what="a first cell")
            await pilot.press("escape")
            assert not mx.running
            assert "cancelled" in str(mx.query_one("#matrix-status", Static).render())
            await wait_until(pilot, lambda: not any(w.is_running for w in mx.workers),
                             timeout=30, what="the worker to stop")
            assert len(mx.matrix.cells) < len(mx.matrix.planned)
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is composer, what="back to the Composer")
            assert not app.errors()
    run(scenario())


def test_the_composer_f_is_settable_and_checked(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="composer")
        async with app.run_test(size=SIZE) as pilot:
            composer = app.screen
            composer.set_candidate(LEARNED)
            form(composer, n="7", f="1")
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: not composer.verifying, what="the verdict")
            v = composer.last_verdict
            assert v.correct and composer.last_params["f"] == 1
            assert {(c.n, c.f) for c in v.checks if c.mode == "byzantine"} == {(7, 1)}
            form(composer, n="7", f="")  # the largest F for N=7: 2, where it fails
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: not composer.verifying, what="the verdict")
            assert not composer.last_verdict.correct and "f" not in composer.last_params
            form(composer, n="4", f="4")
            await pilot.press("ctrl+r")
            assert app.errors() and "F=4 is out of range" in app.errors()[-1]
            assert not composer.verifying
    run(scenario())


def test_runs_screen_opens_the_matrix_of_a_runs_best_candidate(tmp_path):
    db = tmp_path / "store.sqlite"
    with Store(db) as st:
        Run.start(st, RunConfig(target="crash", episodes=200, seed=3)).execute()

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("m")
            await wait_until(pilot, lambda: isinstance(app.screen, MatrixScreen), what="matrix")
            mx = app.screen
            await wait_until(pilot, lambda: not mx.running, timeout=60, what="the cells")
            m = mx.matrix
            assert m.target == "crash" and (m.lo, m.hi) == (3, 6) and m.backend == "builtin"
            assert set(m.cells) == set(matrix.sizes("crash", 3, 6))
            assert "run 1" in str(mx.query_one("#matrix-title", Static).render())
            assert not app.errors()
    run(scenario())
