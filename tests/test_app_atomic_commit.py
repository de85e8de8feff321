"""Atomic commit in the workbench, against a real store: the Runs table names
the problem, an atomic commit run opens on its machine as a transition table,
its counterexample is a rounds-by-processes chart with the lost messages, and
a paused run resumes from the app."""

from __future__ import annotations

import shutil
from pathlib import Path

from app_helpers import SIZE, RecordingApp, run, wait_until
from textual.widgets import DataTable, Static

from rbengine.atomic_commit import checker, protocols
from rbengine.atomic_commit.machine import Machine
from rbengine.atomic_commit.model import Model
from rbengine.atomic_commit.run import ACRun, ACRunConfig
from rbengine.atomic_commit.table import rows as table_rows
from rbengine.store import Store
from rbtui.screens.ac_run import ACRunScreen, ACVerdictScreen
from rbtui.screens.runs import RunsScreen
from rbtui.widgets.rounds_chart import RoundsChart, grid

ROOT = Path(__file__).resolve().parent.parent


def make_store(tmp_path) -> tuple[Path, dict]:
    """The example store (one Reliable Broadcast run, schema 1) plus three
    atomic commit runs: one that found a machine, one that cannot (K=0, R=1),
    one paused half way."""
    db = tmp_path / "store.sqlite"
    shutil.copy(ROOT / "store.sqlite.example", db)
    ids = {}
    with Store(db) as s:
        found = ACRun.start(s, ACRunConfig(seed=1, episodes=5000))
        found.execute()
        ids["found"] = found.id
        none = ACRun.start(s, ACRunConfig(rounds=1, k=0, learner="tabular", seed=1,
                                          episodes=300))
        none.execute()
        ids["none"] = none.id
        paused = ACRun.start(s, ACRunConfig(rounds=1, k=0, learner="tabular", seed=2,
                                            episodes=600, checkpoint_every=50))

        def progress(p):
            if p.episode >= 200:
                paused.stop()
        assert paused.execute(progress=progress, progress_interval=0.0) == "paused"
        ids["paused"] = paused.id
    return db, ids


def composed(app, cls, widget: str) -> bool:
    """`cls` is the current screen and has shown its data (its on_mount ran)."""
    screen = app.screen
    if not isinstance(screen, cls) or not screen.query(widget):
        return False
    if isinstance(screen, ACRunScreen):
        return bool(screen.row)
    return hasattr(screen.query_one(widget), "cx")


def cell_texts(table: DataTable, key: str) -> list[str]:
    return [str(c) for c in table.get_row(key)]


def test_runs_screen_lists_both_problems_and_opens_an_atomic_commit_run(tmp_path):
    db, ids = make_store(tmp_path)
    with Store(db, readonly=True) as s:
        side = s.load_checkpoint(ids["found"])
    machine = Machine.from_json(side["result"])

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, RunsScreen)
            table = screen.query_one("#runs-table", DataTable)
            assert [c.label.plain for c in table.columns.values()][-1] == "problem"
            assert cell_texts(table, "1")[-1] == "reliable-broadcast"
            found = cell_texts(table, str(ids["found"]))
            assert found[-1] == "atomic-commit" and found[1] == "N=3 R=2 K=1 classical dqn"
            assert f"first correct: episode {side['first_correct']['episode']}" in found
            table.move_cursor(row=table.get_row_index(str(ids["found"])))
            await pilot.press("o")
            await wait_until(pilot, lambda: composed(app, ACRunScreen, "#ac-machine"),
                             what="the run")
            run_screen = app.screen
            progress = str(run_screen.query_one("#ac-run-progress", Static).render())
            assert f"first correct machine: episode {side['first_correct']['episode']}" in progress
            shown = run_screen.query_one("#ac-machine", DataTable)
            assert shown.row_count == len(table_rows(machine))
            assert [str(c) for c in shown.get_row_at(0)] == list(table_rows(machine)[0])
            await pilot.press("v")  # a correct machine last: no counterexample
            assert not isinstance(app.screen, ACVerdictScreen) and app.notes[-1][0] == "warning"
            await pilot.press("escape")
            assert isinstance(app.screen, RunsScreen)
            assert not app.errors()

    run(scenario())


def test_a_counterexample_is_a_rounds_by_processes_chart_with_lost_messages(tmp_path):
    db, ids = make_store(tmp_path)
    with Store(db, readonly=True) as s:
        last = s.load_checkpoint(ids["none"])["last"]
    cx = last["counterexample"]
    assert not last["correct"] and cx is not None

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            app.open_run(ids["none"])
            await wait_until(pilot, lambda: composed(app, ACRunScreen, "#ac-machine"),
                             what="the run")
            title = str(app.screen.query_one("#ac-machine-title", Static).render())
            assert f"violates {last['property']}" in title
            await pilot.press("v")
            await wait_until(pilot, lambda: composed(app, ACVerdictScreen, "#ac-rounds"),
                             what="the verdict")
            chart = app.screen.query_one("#ac-rounds", RoundsChart)
            text = str(chart.render())
            assert chart.cx == cx and text.startswith("round  p0")
            assert f"violates {last['property']}" in text
            summary = str(app.screen.query_one("#ac-verdict-summary", Static).render())
            assert f"incorrect - {last['property']}" in summary
            await pilot.press("escape")
            assert isinstance(app.screen, ACRunScreen)

    run(scenario())


def test_the_chart_marks_each_lost_message_in_its_receivers_round():
    model = Model(3, 1, properties="classical")
    r = checker.check(protocols.machine("optimistic", 3), model)
    cx = r.counterexample.to_json()
    cells = grid(cx)
    assert len(cells) == model.rounds + 1 and [c.split()[0] for c in cells[0]] == cx["votes"]
    lost = [(a, b) for a, b in cx["lost"][0]]
    assert lost  # V fails only when a crash loses messages
    for sender, receiver in lost:
        assert sender in cells[1][int(receiver[1:])].split("lost ")[1].split(",")
    for p, c in cx["crashes"].items():
        assert cells[c["round"]][int(p[1:])].endswith(" x") or " x lost" in \
            cells[c["round"]][int(p[1:])]


def test_a_paused_atomic_commit_run_resumes_from_the_app(tmp_path):
    db, ids = make_store(tmp_path)
    rid = ids["paused"]

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            app.open_run(rid)
            await wait_until(pilot, lambda: composed(app, ACRunScreen, "#ac-machine"),
                             what="the run")
            await pilot.press("space")
            await wait_until(pilot, lambda: app.runs.handle_for(rid) is not None
                             and app.runs.handle_for(rid).done, timeout=60, what="the run's end")
            assert app.runs.handle_for(rid).status == "finished", app.runs.handle_for(rid).error
            app.screen.reload()
            progress = str(app.screen.query_one("#ac-run-progress", Static).render())
            assert "episodes 600/600" in progress
            assert not app.errors()

    run(scenario())
    with Store(db, readonly=True) as s:
        assert s.run(rid)["status"] == "finished" and s.run(rid)["episodes_done"] == 600
