"""The atomic commit Stepper: a copy of a run's learner stepped decision by
decision (the Q value of every next state, the one chosen), finished, run in
batches with the run's verifications; the run in the store is never touched."""

from __future__ import annotations

import numpy as np
import pytest
from app_helpers import SIZE, RecordingApp, run, send_key, wait_until
from textual.widgets import DataTable, Input, Select, Static

from rbengine.atomic_commit.run import ACRun, ACRunConfig, load_learner
from rbengine.store import Store
from rbtui.screens.ac_composer import ACComposerScreen
from rbtui.screens.ac_run import ACVerdictScreen
from rbtui.screens.ac_stepper import ACStepperScreen
from rbtui.screens.runs import RunsScreen

CONFIGS = {
    # finished without a machine (K=0 has none), and paused half way
    "tabular-finished": (ACRunConfig(rounds=1, k=0, learner="tabular", seed=1, episodes=120),
                         None),
    "dqn-paused": (ACRunConfig(learner="dqn", seed=2, episodes=400, checkpoint_every=50), 100),
}


def make_run(db, cfg, pause_at):
    with Store(db) as s:
        r = ACRun.start(s, cfg)
        if pause_at is not None:
            def progress(p):
                if p.episode >= pause_at:
                    r.stop()
            assert r.execute(progress=progress, progress_interval=0.0) == "paused"
        else:
            assert r.execute() == "finished"
        return r.id


def snapshot(db, rid):
    """Everything the store holds of a run."""
    with Store(db, readonly=True) as s:
        return s.run(rid), s.load_checkpoint(rid), s.load_learner(rid), s.episodes(rid)


def ready(screen) -> bool:
    return screen.learner is not None and not screen._busy


@pytest.mark.parametrize("which", list(CONFIGS))
def test_step_a_copy_of_a_runs_learner_and_the_run_is_untouched(tmp_path, which):
    db = tmp_path / "store.sqlite"
    cfg, pause_at = CONFIGS[which]
    rid = make_run(db, cfg, pause_at)
    before = snapshot(db, rid)
    twin = load_learner(*before[2])  # what the run would play next
    expected = twin.episode()

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("t")  # on the (only) run, an atomic commit one
            screen = app.screen
            assert isinstance(screen, ACStepperScreen)
            await wait_until(pilot, lambda: ready(screen), what="the copy")
            assert screen.run_id == rid and screen.copied_at == before[0]["episodes_done"]
            await pilot.press("space")
            await wait_until(pilot, lambda: len(screen.decisions) == 1 and not screen._busy,
                             what="a decision")
            d = screen.decisions[0]
            assert d.episode == screen.copied_at + 1 and d.step == 1
            q_table = screen.query_one("#acs-q", DataTable)
            assert q_table.row_count == len(d.actions) == 2 + cfg.k
            chosen = q_table.get_row_at(d.choice_position)
            assert chosen[0] == "▶" and chosen[2] == f"{d.q[d.choice_position]:+.1f}"
            if cfg.learner == "dqn":
                # the network's outputs for this input, before it trains on the episode
                assert np.allclose(d.q, screen.learner.q_values([d.key])[0])
                assert "epsilon" in str(screen.query_one("#acs-decision", Static).render())
            else:
                assert d.visits == tuple(screen.learner.n_sa[d.key])
                assert [str(x) for x in q_table.get_row_at(0)[3:4]] == [str(d.visits[0])]
            round_table = screen.query_one("#acs-round", DataTable)
            assert round_table.row_count == cfg.n
            assert str(round_table.get_row_at(d.process)[0]).startswith("▶")
            await pilot.press("f")
            await wait_until(pilot, lambda: screen.outcome is not None and not screen._busy,
                             what="the episode")
            o = screen.outcome
            assert o.played.steps == expected.steps and o.played.rewards == expected.rewards
            text = str(screen.query_one("#acs-episode", Static).render())
            assert f"episode {o.episode}" in text and f"reward {o.played.rewards[0]:+.1f}" in text
            # a batch crosses the run's verification rhythm
            screen.query_one("#acs-n", Input).value = "60"
            await pilot.press("r")
            await wait_until(pilot, lambda: not screen._busy, timeout=60, what="the batch")
            assert screen.learner.episodes == screen.copied_at + 61
            assert screen.check is not None and not screen.check.correct
            await pilot.press("v")
            assert isinstance(app.screen, ACVerdictScreen)
            assert app.screen.verdict["property"] == screen.check.property
            await pilot.press("escape")
            # the greedy machine goes to the Composer
            await pilot.press("e")
            assert isinstance(app.screen, ACComposerScreen)
            assert app.screen.machine == screen.learner.machine()
            # the Runs table still shows the run as it was
            await pilot.press("f2")
            assert isinstance(app.screen, RunsScreen)
            cells = [str(c) for c in app.screen.query_one("#runs-table", DataTable).get_row(str(rid))]
            assert cells[2] == f"{before[0]['episodes_done']}/{before[0]['episodes_planned']}"
            assert before[0]["status"] in cells[3]
            assert not app.errors()

    run(scenario())
    assert snapshot(db, rid) == before


def test_a_new_learner_from_the_stepper_is_not_recorded(tmp_path):
    db = tmp_path / "store.sqlite"

    async def scenario():
        app = RecordingApp(db_path=db, start="stepper")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("ctrl+n")
            form = app.screen
            form.query_one("#run-problem", Select).value = "atomic-commit"
            await pilot.pause()
            form.query_one("#ac-run-learner", Select).value = "tabular"
            form.query_one("#ac-run-seed", Input).value = "4"
            form.query_one("#ac-run-seed", Input).focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.current_mode == "ac-stepper", what="the Stepper")
            screen = app.screen
            await wait_until(pilot, lambda: ready(screen), what="the learner")
            assert screen.run_id is None and screen.cfg.seed == 4 and screen.learner.episodes == 0
            assert "not in the store" in str(screen.query_one("#acs-title", Static).render())
            await pilot.press("space")
            await wait_until(pilot, lambda: len(screen.decisions) == 1, what="a decision")
            d = screen.decisions[0]
            assert d.visits == (0, 0, 0) and d.scores == (float("inf"),) * 3
            # Escape stops a long batch
            screen.query_one("#acs-n", Input).value = "1000000"
            send_key(app, "r")
            await wait_until(pilot, lambda: screen._busy, 2, "the batch to start")
            send_key(app, "escape")
            await wait_until(pilot, lambda: not screen._busy, 10, "Escape to stop")
            assert screen.learner.episodes < 1000000
            assert any("Stopped" in m for _s, m in app.notes)
    run(scenario())
    if db.exists():  # the app may have created an empty store, but records nothing in it
        with Store(db, readonly=True) as s:
            assert s.runs() == []
