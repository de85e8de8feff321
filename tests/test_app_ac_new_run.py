"""The new-run form starts atomic commit runs too: a problem choice with its
own fields, validated into the ACRunConfig the command line builds, errors on
one line, and the run started by the app's run manager into a real store."""

from __future__ import annotations

import argparse
import json

from app_helpers import SIZE, RecordingApp, run, wait_until
from textual.widgets import DataTable, Input, Select, Static

from rbengine.atomic_commit.run import ACRunConfig
from rbengine.config import RunConfig
from rbengine.errors import RbError
from rbengine.store import Store
from rbtui.commands._atomic_commit_run import build_config
from rbtui.screens.new_run import NewRunScreen, ac_config_from_form
from rbtui.screens.runs import RunsScreen


def fill(form, **fields) -> None:
    for name, value in fields.items():
        widget = form.query_one(f"#ac-run-{name}")
        widget.value = value


def test_the_form_builds_what_the_command_line_builds():
    cfg = ac_config_from_form("4", "3", "2", "tabular", "paper", "700", "11")
    args = argparse.Namespace(n=4, f=None, rounds=3, states=2, properties="paper",
                              learner="tabular", episodes=700, seed=11, check_every=None,
                              checkpoint_every=None)
    assert cfg == build_config(args)
    assert ac_config_from_form("", "", "", "dqn", "classical", "", "") == \
        ACRunConfig(seed=None).validate()


def test_bad_fields_are_one_readable_line():
    cases = {("1", "2", "1", "5"): "N must be at least 2, got 1",
             ("3", "0", "1", "5"): "the number of rounds must be at least 1, got 0",
             ("3", "2", "9", "5"): "unnamed states K must be 0..8, got 9",
             ("3", "2", "1", "0"): "episodes must be at least 1",
             ("three", "2", "1", "5"): "N must be a whole number, got 'three'"}
    for (n, rounds, k, episodes), message in cases.items():
        try:
            ac_config_from_form(n, rounds, k, "dqn", "classical", episodes, "")
        except RbError as exc:
            assert str(exc) == message
        else:
            raise AssertionError(f"accepted {n, rounds, k, episodes}")


def test_start_an_atomic_commit_run_from_the_form(tmp_path):
    db = tmp_path / "store.sqlite"

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("s")
            form = app.screen
            assert isinstance(form, NewRunScreen)
            # Reliable Broadcast is the default, with its own fields only
            assert form.query_one("#run-problem", Select).value == "reliable-broadcast"
            assert form.query_one("#new-run-grid").display
            assert not form.query_one("#ac-run-grid").display
            form.query_one("#run-problem", Select).value = "atomic-commit"
            await pilot.pause()
            assert not form.query_one("#new-run-grid").display
            assert form.query_one("#ac-run-grid").display
            # an error stays in the form, on one line
            fill(form, n="3", rounds="1", k="12", episodes="100", seed="9")
            form.query_one("#ac-run-learner", Select).value = "tabular"
            await pilot.click("#run-start")
            error = str(form.query_one("#new-run-error", Static).render())
            assert app.screen is form and error == "unnamed states K must be 0..8, got 12"
            fill(form, k="0")
            form.query_one("#ac-run-seed", Input).focus()
            await pilot.press("enter")  # Enter in a field starts, as the button does
            await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen), what="the form closed")
            await wait_until(pilot, lambda: app.runs.handles
                             and all(h.done for h in app.runs.handles.values()),
                             timeout=60, what="the run's end")
            (h,) = app.runs.handles.values()
            assert h.status == "finished" and h.error is None
            app.screen.reload()
            table = app.screen.query_one("#runs-table", DataTable)
            cells = [str(c) for c in table.get_row(str(h.run_id))]
            assert cells[1] == "N=3 R=1 K=0 classical tabular" and cells[2] == "100/100"
            assert cells[-1] == "atomic-commit"
            assert not app.errors()
            return h.run_id

    rid = run(scenario())
    with Store(db, readonly=True) as s:
        row = s.run(rid)
        cfg = json.loads(row["config"])
        assert row["problem"] == "atomic-commit" and row["seed"] == 9
        assert (cfg["n"], cfg["rounds"], cfg["k"], cfg["learner"], cfg["episodes"]) == \
            (3, 1, 0, "tabular", 100)
        assert row["episodes_done"] == 100 and s.load_learner(rid) is not None


def test_the_reliable_broadcast_form_still_gives_a_run_config(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite")
        async with app.run_test(size=SIZE) as pilot:
            chosen = []
            app.push_screen(NewRunScreen(), chosen.append)
            await pilot.pause()
            form = app.screen
            form.query_one("#run-episodes", Input).value = "40"
            await pilot.click("#run-start")
            await pilot.pause()
            assert isinstance(chosen[0], RunConfig) and chosen[0].episodes == 40
    run(scenario())
