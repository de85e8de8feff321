"""Stepper: step an episode of a new run one decision at a time, finish it,
run a batch of episodes; step an existing run from the Runs screen."""

from __future__ import annotations

from app_helpers import SIZE, RecordingApp, run, wait_until
from textual.widgets import DataTable, Input, Select, Static

from rbengine.config import RunConfig
from rbengine.run import Run
from rbengine.store import Store
from rbtui.screens.stepper import StepperScreen
from rbtui.screens.verdict import VerdictScreen


def _paused_run(db, config: RunConfig) -> None:
    """A run executed to its end in the store at db, then marked paused: what
    the Runs screen's `t` opens in the Stepper."""
    with Store(db) as st:
        r = Run.start(st, config)
        r.execute()
        r.store.update_run(r.id, status="paused")


async def _open_stepper(pilot, app) -> StepperScreen:
    """Press `t` on the Runs screen and wait until the Stepper has the run."""
    await pilot.press("t")
    screen = app.screen
    assert isinstance(screen, StepperScreen)
    await wait_until(pilot, lambda: screen.run is not None and not screen._busy, what="the run")
    return screen


def test_step_an_episode_of_a_new_run(tmp_path):
    db = tmp_path / "store.sqlite"

    async def scenario():
        app = RecordingApp(db_path=db, start="stepper")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, StepperScreen)
            await pilot.press("space")  # no run yet: a warning, nothing else
            assert any("No run" in m for _s, m in app.notes)
            await pilot.press("ctrl+n")
            form = app.screen
            form.query_one("#run-target", Select).value = "crash"
            form.query_one("#run-episodes", Input).value = "100"
            form.query_one("#run-seed", Input).value = "3"
            await pilot.click("#run-start")
            await wait_until(pilot, lambda: screen.run is not None and not screen._busy, what="the run")
            allowed = screen.query_one("#allowed", DataTable)
            await pilot.press("space")
            await wait_until(pilot, lambda: len(screen.decisions) == 1, what="a decision")
            d = screen.decisions[0]
            assert d.phase == "broadcast" and d.step == 1
            assert allowed.row_count == len(d.allowed)
            row = allowed.get_row_at(d.choice_position)
            assert row[0] == "▶" and row[2] == f"{d.q[d.choice_position]:.3f}"
            removed = screen.query_one("#removed", DataTable)
            assert removed.row_count == len(d.removed) > 0
            assert "GH" in str(removed.get_row_at(0)[0])
            await pilot.press("space")
            await wait_until(pilot, lambda: len(screen.decisions) == 2, what="a second decision")
            await pilot.press("f")
            await wait_until(pilot, lambda: screen.outcome is not None, what="the verdict")
            o = screen.outcome
            assert o.episode == 1 and o.candidate is not None
            text = str(screen.query_one("#outcome", Static).render())
            assert ("CORRECT" in text) and f"bonus {o.bonus:+.1f}" in text
            with Store(db) as st:
                assert st.run(screen.run_id)["episodes_done"] == 1
            # a batch of episodes
            screen.query_one("#stepper-n", Input).value = "20"
            await pilot.press("r")
            await wait_until(pilot, lambda: not screen._busy, what="the batch")
            assert screen.run.learner.episodes_done == 21
            # the verdict of the last episode opens in the Verdict screen
            await pilot.press("v")
            assert isinstance(app.screen, VerdictScreen)
            assert app.verdict_view.candidate == screen.outcome.candidate
    run(scenario())


def test_step_an_existing_run_from_the_runs_screen(tmp_path):
    db = tmp_path / "store.sqlite"
    _paused_run(db, RunConfig(target="crash", episodes=30, seed=5))

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await _open_stepper(pilot, app)
            assert screen.run.learner.episodes_done == 30
            await pilot.press("f")
            await wait_until(pilot, lambda: screen.outcome is not None, what="the episode")
            assert screen.outcome.episode == 31
            await pilot.press("e")  # the candidate goes to the Composer
            assert app.current_mode == "composer"
            assert app.screen.candidate() == screen.outcome.candidate
        with Store(db) as st:
            row = st.run(1)
            assert row["episodes_done"] == 31 and row["status"] == "paused"
    run(scenario())


def test_stepping_a_finished_run_leaves_it_finished_and_the_table_says_stepping(tmp_path):
    db = tmp_path / "store.sqlite"
    with Store(db) as st:
        r = Run.start(st, RunConfig(target="crash", episodes=30, seed=5))
        assert r.execute() == "finished"
        before = st.run(r.id)

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("t")
            screen = app.screen
            await wait_until(pilot, lambda: screen.run is not None and not screen._busy, what="the run")
            screen.query_one("#stepper-n", Input).value = "5"
            await pilot.press("r")
            await wait_until(pilot, lambda: not screen._busy, what="the batch")
            await pilot.press("f2")
            table = app.screen.query_one("#runs-table", DataTable)
            assert "stepping" in str(table.get_row_at(0)[3])
            await pilot.press("f4")
            screen.detach()
            await pilot.press("f2")
            assert "finished" in str(table.get_row_at(0)[3])
            assert str(table.get_row_at(0)[2]) == "35/35"
            assert app.errors() == []
    run(scenario())
    with Store(db) as st:
        row = st.run(1)
        assert row["status"] == "finished" and row["episodes_done"] == 35
        assert row["episodes_planned"] == 35 and row["message"] == before["message"]
        import json
        assert json.loads(row["config"])["episodes"] == 35


def test_stepping_a_paused_run_keeps_its_plan(tmp_path):
    db = tmp_path / "store.sqlite"
    with Store(db) as st:
        r = Run.start(st, RunConfig(target="crash", episodes=100, seed=5))
        r.planned = 20
        r.execute()
        st.update_run(r.id, status="paused")
        with Store(db) as other:
            held = Run.hold(other, r.id)
            assert other.run(r.id)["status"] == "running"
            held.learner.run_episode()
            held.release()
        row = st.run(r.id)
        assert (row["status"], row["episodes_done"], row["episodes_planned"]) == ("paused", 21, 100)


def test_stepping_a_guided_run_shows_the_guides_order_of_untried_actions(tmp_path):
    db = tmp_path / "store.sqlite"
    _paused_run(db, RunConfig(target="crash", episodes=40, seed=5, untried="guided"))

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await _open_stepper(pilot, app)
            assert screen.run.learner.guide.episodes == 40  # restored from the checkpoint
            allowed = screen.query_one("#allowed", DataTable)
            shown = 0
            for _ in range(8):
                await pilot.press("space")
                await wait_until(pilot, lambda: not screen._busy, what="a decision")
                if screen.outcome is not None:
                    break
                d = screen.decisions[-1]
                assert d.guide is not None and len(d.guide) == len(d.allowed)
                for i, v in enumerate(d.visits):
                    if v == 0:  # untried: "inf (guide g)"
                        assert str(allowed.get_row_at(i)[4]) == f"inf (guide {d.guide[i]:.3f})"
                        shown += 1
            assert shown > 0
            assert app.errors() == []
    run(scenario())
