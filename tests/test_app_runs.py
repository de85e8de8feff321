"""Runs and the live Run view against a real temporary store: start a run from
the form, see its progress move, pause and resume it, quit during it and find
it resumable, delete a run."""

from __future__ import annotations

import json

from app_helpers import SIZE, RecordingApp, run, send_key, wait_until
from textual.widgets import DataTable, Input, ProgressBar, Select

from rbengine.config import RunConfig
from rbengine.reward import total
from rbengine.store import Store
from rbtui.screens.dialogs import ConfirmScreen
from rbtui.screens.new_run import NewRunScreen
from rbtui.screens.run import RunScreen
from rbtui.screens.runs import RunsScreen


def status(db, run_id=1) -> str:
    with Store(db) as st:
        return st.run(run_id)["status"]


async def start_run(app, pilot, episodes=200_000, target="crash", seed=7, n=None,
                    descend=None):
    """Start a run from the form; the run's handle, or None when the run is
    short (`episodes` < 100): it may end before the app shows it running."""
    await pilot.press("s")
    form = app.screen
    form.query_one("#run-target", Select).value = target
    if n is not None:
        form.query_one("#run-n", Input).value = n
    if descend is not None:
        form.query_one("#run-descend", Select).value = descend
    form.query_one("#run-episodes", Input).value = str(episodes)
    form.query_one("#run-seed", Input).value = str(seed)
    await pilot.click("#run-start")
    if episodes < 100:
        await wait_until(pilot, lambda: not isinstance(app.screen, NewRunScreen),
                         what="the form to close")
        return None
    await wait_until(pilot, lambda: app.runs.active() and app.runs.active()[0].run_id is not None,
                     what="the run to start")
    return app.runs.active()[0]


def test_start_run_see_progress_pause_resume(tmp_path):
    db = tmp_path / "store.sqlite"

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            assert isinstance(app.screen, RunsScreen)
            handle = await start_run(app, pilot)
            await wait_until(pilot, lambda: handle.progress is not None and handle.progress.episode > 0,
                             what="progress")
            first = handle.progress.episode
            send_key(app, "o")  # the live view
            await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), what="the run view")
            live = app.screen
            # pushed is not yet composed: on a busy machine the run can be ahead
            await wait_until(pilot, lambda: bool(live.query("#run-progress")),
                             what="the live view's widgets")
            await wait_until(pilot, lambda: handle.progress.episode > first + 20, what="more episodes")
            bar = live.query_one("#run-progress", ProgressBar)
            await wait_until(pilot, lambda: (bar.progress or 0) > first, what="the progress bar")
            assert "ep/s" in str(live.query_one("#run-rate").render())
            assert len(live.points) >= 2  # the plots have data
            # pause (space), it checkpoints and says paused
            send_key(app, "space")
            await wait_until(pilot, lambda: not app.runs.active(), what="the pause")
            assert status(db) == "paused"
            paused_at = handle.progress.episode
            # resume (space again) and see it move on
            send_key(app, "space")
            await wait_until(pilot, lambda: app.runs.is_active(1), what="the resume")
            h2 = app.runs.handle_for(1)
            await wait_until(pilot, lambda: h2.progress is not None and h2.progress.episode > paused_at,
                             what="progress after resuming")
            send_key(app, "space")
            await wait_until(pilot, lambda: not app.runs.active(), what="the second pause")
            assert app.errors() == []
    run(scenario())


def test_quit_during_a_run_checkpoints_it_and_it_is_resumable(tmp_path):
    db = tmp_path / "store.sqlite"

    async def first_session():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            handle = await start_run(app, pilot)
            await wait_until(pilot, lambda: handle.progress is not None, what="progress")
            send_key(app, "ctrl+q")
            await wait_until(pilot, lambda: not app.is_running, what="the app to quit")

    async def second_session():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            table = app.screen.query_one("#runs-table", DataTable)
            assert table.row_count == 1
            assert "paused" in str(table.get_row_at(0)[3])
            await pilot.press("r")
            await wait_until(pilot, lambda: app.runs.is_active(1), what="the resume")
            await wait_until(pilot, lambda: app.runs.handle_for(1).progress is not None, what="progress")
            send_key(app, "p")
            await wait_until(pilot, lambda: not app.runs.active(), what="the pause")

    run(first_session())
    assert status(db) == "paused"
    with Store(db) as st:
        done = st.run(1)["episodes_done"]
    assert done > 0
    run(second_session())
    with Store(db) as st:
        assert st.run(1)["episodes_done"] > done


def test_stop_finishes_and_delete_asks_first(tmp_path):
    db = tmp_path / "store.sqlite"

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            handle = await start_run(app, pilot)
            await wait_until(pilot, lambda: handle.progress is not None, what="progress")
            send_key(app, "o")
            await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), what="the run view")
            send_key(app, "x")  # asks first
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            assert "200000 planned" in app.screen.question
            await pilot.press("n")
            await pilot.pause()
            assert app.runs.is_active(1) and status(db) == "running"
            send_key(app, "x")  # stop: the optimisation episode, then finished, plan kept
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            await pilot.press("y")
            await wait_until(pilot, lambda: status(db) == "finished" and not app.runs.active(),
                             what="the run to finish")
            with Store(db) as st:
                row = st.run(1)
            assert row["episodes_planned"] == 200_000 and 0 < row["episodes_done"] < 200_000
            assert row["final_hash"] is not None  # the optimisation episode ran
            assert "stopped at" in row["message"]
            await pilot.press("escape")
            assert isinstance(app.screen, RunsScreen)
            # it can be resumed towards its plan
            await pilot.press("r")
            await wait_until(pilot, lambda: app.runs.is_active(1), what="the resume")
            await wait_until(pilot, lambda: status(db) == "running", what="running again")
            send_key(app, "p")
            await wait_until(pilot, lambda: not app.runs.active(), what="the pause")
            assert status(db) == "paused"
            await pilot.press("d")
            await pilot.press("n")  # no: nothing deleted
            assert app.screen.query_one("#runs-table", DataTable).row_count == 1
            await pilot.press("d")
            await pilot.press("y")
            await pilot.pause()
            assert app.screen.query_one("#runs-table", DataTable).row_count == 0
            with Store(db) as st:
                assert st.runs() == []
    run(scenario())


def test_bad_store_is_reported_and_the_app_stays_up(tmp_path):
    db = tmp_path / "store.sqlite"
    db.write_text("this is not a database")

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert any("not an SQLite file" in e for e in app.errors())
            await pilot.press("f3")
            assert app.current_mode == "composer"
    run(scenario())


def finished(db) -> bool:
    with Store(db) as st:
        return bool(st.runs()) and st.run(1)["status"] == "finished"


def test_the_form_starts_a_run_at_two_sizes_with_descent_and_repair(tmp_path):
    """The new-run form's sizes and 'descent and repair' reach the run's
    configuration; crash seed 2 at 3:1 and 5:2 then ends on the optimum -7,
    found by a repair and a descent before any of its 6 episodes is correct."""
    db = tmp_path / "store.sqlite"

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            await start_run(app, pilot, episodes=6, seed=2, n="3:1,5:2", descend=True)
            await wait_until(pilot, lambda: finished(db), timeout=60, what="the run to finish")
            assert app.errors() == []

    run(scenario())
    with Store(db) as st:
        row = st.run(1)
        cfg = RunConfig.from_dict(json.loads(row["config"]))
        assert cfg.descend is True and cfg.sizes == "3:1,5:2"
        assert row["status"] == "finished" and row["episodes_done"] == 6
        assert total(cfg.rewards, st.candidate(row["result_hash"])) == -7
        ck = st.load_checkpoint(1)
        assert ck["first_correct"] is None and ck["best"]["by"] == "repair, descent"
