"""The atomic commit Composer: edit a transition table with keys and with the
fields, see the state diagram follow, verify with the real built-in checker and
Z3 in a worker, open the counterexample's rounds chart, and never show a result
of another table; examples, files, a run's machine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from app_helpers import SIZE, RecordingApp, run, send_key, wait_until
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import WorkerCancelled

from rbengine.atomic_commit import checker, protocols, smt
from rbengine.atomic_commit.machine import ABORT, COMMIT, Machine, keys
from rbengine.atomic_commit.model import Model, simulate
from rbengine.atomic_commit.run import ACRun, ACRunConfig
from rbengine.errors import RbError
from rbengine.store import Store
from rbtui.screens.ac_composer import ACComposerScreen, diagram, edges, parse_received, resize, row_key
from rbtui.screens.ac_run import ACRunScreen, ACVerdictScreen
from rbtui.widgets.rounds_chart import RoundsChart

ROOT = Path(__file__).resolve().parent.parent
LOST2 = (0, (0, 0, 0, 0, 0, 2))  # LOCAL_COMMIT receiving LOST from both others (N=3, K=1)


def status(screen) -> str:
    return str(screen.query_one("#acc-status", Static).render())


def diagram_text(screen) -> str:
    return str(screen.query_one("#acc-diagram", Static).render())


async def verify(pilot, screen):
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: not screen.verifying, timeout=60, what="the verdict")
    await pilot.pause()
    return screen.results


async def select_row(pilot, screen, key) -> None:
    table = screen.query_one("#acc-table", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(row_key(key)))
    await pilot.pause()


def test_received_text_parses_as_the_table_writes_it():
    assert parse_received("LOCAL_COMMITx2", 3, 1) == (2, 0, 0, 0, 0, 0)
    assert parse_received("local_commit lost", 3, 1) == (1, 0, 0, 0, 0, 1)
    assert parse_received("LOST:2", 3, 1) == (0, 0, 0, 0, 0, 2)
    for text, message in {"LOST": "1 messages from the others, N=3 means 2",
                          "U2 LOST": "unknown symbol 'U2'"}.items():
        try:
            parse_received(text, 3, 1)
        except RbError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(text)


def test_the_diagram_draws_every_state_and_labels_every_edge():
    m = protocols.machine("vote-exchange", 3)
    text = diagram(m).plain
    for name in ("LOCAL_COMMIT", "LOCAL_ABORT", "U1", "COMMIT", "ABORT"):
        assert f"│ {name} │" in text
    assert text.index("votes") < text.index("unnamed") < text.index("decisions")
    assert "LOCAL_ABORT  ──▶ ABORT" in text and "every input (21)" in text
    assert "U1 ↺" in text
    # the labels count every input once
    for s, rows in edges(m).items():
        counted = sum(21 if "every input" in lab else
                      int(lab.split("(")[1].split()[0]) if "otherwise" in lab else
                      int(lab.split()[0]) if lab.endswith("inputs") else len(lab.split(" | "))
                      for _, lab in rows)
        assert counted == 21, (s, rows)
    # a single input leading somewhere is named
    m.table[LOST2] = COMMIT
    assert "LOCAL_COMMIT ──▶ COMMIT" in diagram(m).plain


def test_resizing_keeps_each_states_usual_next_state():
    m = protocols.machine("vote-exchange", 3)
    bigger = resize(m, 4, 2)
    assert bigger.complete() and (bigger.n, bigger.k) == (4, 2)
    assert {t for (s, _), t in bigger.table.items() if s == 1} == {ABORT}
    assert {t for (s, _), t in bigger.table.items() if s == 5} == {5}  # U2 stays
    smaller = resize(m, 3, 0)
    assert smaller.complete() and set(smaller.table.values()) <= {COMMIT, ABORT}


def test_edit_verify_and_open_the_counterexample(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="ac-composer")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, ACComposerScreen)
            assert screen.machine == protocols.machine("vote-exchange", 3)
            results = await verify(pilot, screen)
            assert [r.correct for r in results] == [True] and "CORRECT" in status(screen)
            checks = screen.query_one("#acc-checks", DataTable)
            assert checks.row_count == 1 and str(checks.get_row_at(0)[1]) == "[green]correct[/]"
            # c on a row: a lost vote is taken for a commit
            before = diagram_text(screen)
            await select_row(pilot, screen, LOST2)
            await pilot.press("c")
            assert screen.machine.table[LOST2] == COMMIT
            table = screen.query_one("#acc-table", DataTable)
            assert str(table.get_row(row_key(LOST2))[2]) == "COMMIT"
            assert checks.row_count == 0 and "result cleared" in status(screen)
            assert diagram_text(screen) != before
            expected = checker.check(screen.machine, Model(3, 2))
            results = await verify(pilot, screen)
            assert not results[0].correct and results[0].property == expected.property == "V"
            assert "INCORRECT" in status(screen)
            await pilot.press("ctrl+g")
            await wait_until(pilot, lambda: isinstance(app.screen, ACVerdictScreen),
                             what="the counterexample")
            await pilot.pause()
            chart = app.screen.query_one("#ac-rounds", RoundsChart)
            assert chart.cx == expected.counterexample.to_json()
            summary = str(app.screen.query_one("#ac-verdict-summary", Static).render())
            assert "builtin" in summary and "incorrect - V" in summary
            await pilot.press("escape")
            assert app.screen is screen
            # the paper's set accepts it (docs/semantics-atomic-commit.md §5)
            screen.query_one("#acc-properties", Select).value = "paper"
            await pilot.pause()
            assert checks.row_count == 0
            results = await verify(pilot, screen)
            assert results[0].correct
            # the fields: from, received, to and Set restore the vote exchange
            screen.query_one("#acc-from", Select).value = 0
            screen.query_one("#acc-received", Input).value = "LOST"
            screen.query_one("#acc-to", Select).value = 4
            await pilot.click("#acc-set")
            error = str(screen.query_one("#acc-error", Static).render())
            assert "1 messages from the others, N=3 means 2" in error
            assert screen.machine.table[LOST2] == COMMIT
            screen.query_one("#acc-received", Input).value = "lost:2"
            screen.query_one("#acc-received", Input).focus()
            await pilot.press("enter")
            assert screen.machine == protocols.machine("vote-exchange", 3)
            assert str(screen.query_one("#acc-error", Static).render()) == ""
            assert checks.row_count == 0  # the paper-set verdict was of the edited table
            assert not app.errors()
    run(scenario())


def test_keys_for_unnamed_states_sizes_and_whole_states(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="ac-composer")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            screen.query_one("#acc-k", Input).value = "2"
            await pilot.pause()
            assert screen.machine.k == 2 and screen.machine.complete()
            table = screen.query_one("#acc-table", DataTable)
            assert table.row_count == len(keys(3, 2))
            key = next(k for k in keys(3, 2) if k[0] == 0)
            await select_row(pilot, screen, key)
            await pilot.press("u")
            assert screen.machine.table[key] == 4
            await pilot.press("u")
            assert screen.machine.table[key] == 5
            await pilot.press("u")
            assert screen.machine.table[key] == 4
            await pilot.press("a")
            assert screen.machine.table[key] == ABORT
            await pilot.press("2")
            assert screen.machine.table[key] == 5
            await pilot.press("o")  # every input of LOCAL_COMMIT goes to U2
            assert {t for (s, _), t in screen.machine.table.items() if s == 0} == {5}
            # the filter shows one state's inputs
            for state in (0, 1):
                screen.query_one("#acc-filter", Select).value = state
                await pilot.pause()
                assert table.row_count == len([k for k in keys(3, 2) if k[0] == state])
            # K=0: no unnamed state to go to
            screen.query_one("#acc-k", Input).value = "0"
            await pilot.pause()
            assert screen.machine.k == 0 and table.row_count == len(keys(3, 0))
            table.focus()
            await pilot.press("u")
            assert "no unnamed state" in str(screen.query_one("#acc-error", Static).render())
            screen.query_one("#acc-n", Input).value = "1"
            await pilot.pause()
            assert "N must be at least 2, got 1" in str(
                screen.query_one("#acc-error", Static).render())
            assert screen.machine.n == 3
            await pilot.press("ctrl+r")  # the form is wrong: nothing verified
            assert not screen.verifying and "N must be at least 2" in app.errors()[-1]
    run(scenario())


def test_examples_and_z3(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="ac-composer")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            screen.query_one("#acc-example", Select).value = "optimistic"
            await pilot.pause()
            assert screen.machine == protocols.machine("optimistic", 3)
            assert screen.query_one("#acc-example", Select).value is Select.NULL
            screen.query_one("#acc-verifier", Select).value = "builtin+z3"
            results = await verify(pilot, screen)
            assert [r.backend for r in results] == ["builtin", "z3"]
            assert not any(r.correct for r in results)
            z3_cx = results[1].counterexample
            replay = simulate(screen.machine, Model(3, 2), z3_cx.votes, z3_cx.crashes)
            assert replay.violation == results[1].property
            assert screen.query_one("#acc-checks", DataTable).row_count == 2
            screen.query_one("#acc-checks", DataTable).focus()
            await pilot.press("down", "enter")  # Z3's row
            await wait_until(pilot, lambda: isinstance(app.screen, ACVerdictScreen),
                             what="Z3's counterexample")
            assert app.screen.verdict["backend"] == "z3"
            assert app.screen.verdict["counterexample"] == z3_cx.to_json()
            await pilot.press("escape")
            screen.open_example("vote-exchange")
            await pilot.pause()
            results = await verify(pilot, screen)
            assert [r.correct for r in results] == [True, True]
            assert smt.check(screen.machine, Model(3, 2)).correct
    run(scenario())


def test_a_result_that_arrives_after_an_edit_is_not_shown(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="ac-composer")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            screen.set_machine(protocols.machine("vote-exchange", 6), "big")
            screen.query_one("#acc-rounds", Input).value = "3"
            await pilot.pause()
            await select_row(pilot, screen, next(iter(keys(6, 1))))
            send_key(app, "ctrl+r")
            await wait_until(pilot, lambda: screen.verifying, 2, "the verification to start")
            send_key(app, "a")  # an edit while the checker runs
            await wait_until(pilot, lambda: not screen.verifying, 60, "the verdict")
            await pilot.pause()
            assert screen.results == [] and "result cleared" in status(screen)
            assert screen.query_one("#acc-checks", DataTable).row_count == 0
    run(scenario())


def test_escape_cancels_a_verification_in_flight(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="ac-composer")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            screen.set_machine(protocols.machine("vote-exchange", 7), "big")  # ~5 s at R=3
            screen.query_one("#acc-rounds", Input).value = "3"
            await pilot.pause()
            send_key(app, "ctrl+r")
            await wait_until(pilot, lambda: screen.verifying, 2, "the verification to start")
            send_key(app, "escape")
            await wait_until(pilot, lambda: not screen.verifying, 0.5, "Escape to cancel")
            assert "cancelled" in status(screen) and screen._cancel.is_set()
            try:
                await app.workers.wait_for_complete()
            except WorkerCancelled:
                pass
            await pilot.pause()
            assert screen.results == [] and "cancelled" in status(screen)
    run(scenario())


def test_load_save_and_a_bad_file(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="ac-composer")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            bad = tmp_path / "bad.json"
            bad.write_text('{"problem": "atomic-commit", "n": 3, "unnamed": 1, "transitions": []}')
            await pilot.press("ctrl+o")
            app.screen.query_one("#path-input", Input).value = str(bad)
            await pilot.press("enter")
            await pilot.pause()
            assert "have no transition" in app.errors()[-1]
            assert screen.machine == protocols.machine("vote-exchange", 3)
            await pilot.press("ctrl+o")
            app.screen.query_one("#path-input", Input).value = str(
                ROOT / "examples" / "atomic_commit" / "paper_not_classical.json")
            await pilot.press("enter")
            await pilot.pause()
            paper = Machine.load(str(ROOT / "examples" / "atomic_commit" /
                                     "paper_not_classical.json"))
            assert screen.machine == paper and paper.table[LOST2] == COMMIT
            out = tmp_path / "saved.json"
            await pilot.press("ctrl+s")
            app.screen.query_one("#path-input", Input).value = str(out)
            await pilot.press("enter")
            await pilot.pause()
            assert Machine.load(str(out)) == paper
            assert json.loads(out.read_text())["problem"] == "atomic-commit"
    run(scenario())


def test_a_runs_machine_opens_with_the_runs_settings(tmp_path):
    db = tmp_path / "store.sqlite"
    shutil.copy(ROOT / "store.sqlite.example", db)
    with Store(db) as s:
        r = ACRun.start(s, ACRunConfig(rounds=1, k=0, learner="tabular", seed=1, episodes=100,
                                       properties="paper"))
        r.execute()
        rid = r.id
        last = s.load_checkpoint(rid)["last"]
    assert not last["correct"]

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            app.open_run(rid)
            await wait_until(pilot, lambda: isinstance(app.screen, ACRunScreen)
                             and bool(app.screen.row), what="the run")
            await pilot.press("e")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ACComposerScreen) and app.current_mode == "ac-composer"
            assert screen.machine == Machine.from_json(last["machine"])
            assert screen.query_one("#acc-rounds", Input).value == "1"
            assert screen.query_one("#acc-k", Input).value == "0"
            assert screen.query_one("#acc-properties", Select).value == "paper"
            assert f"run {rid}" in str(screen.query_one("#acc-title", Static).render())
            results = await verify(pilot, screen)
            assert not results[0].correct and results[0].property == last["property"]
            # F3 and Ctrl+B move between the two Composers
            await pilot.press("f3")
            assert app.current_mode == "composer"
            await pilot.press("ctrl+b")
            assert app.current_mode == "ac-composer" and app.screen is screen
            assert not app.errors()
    run(scenario())


def test_f1_opens_each_atomic_commit_screens_own_help(tmp_path):
    from rbtui.screens.dialogs import HelpScreen, help_text

    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="ac-composer")
        async with app.run_test(size=SIZE) as pilot:
            for mode, topic, title in (("ac-composer", "ac_composer", "# Atomic commit Composer"),
                                       ("ac-stepper", "ac_stepper", "# Atomic commit Stepper")):
                app.switch_mode(mode)
                await pilot.pause()
                await pilot.press("f1")
                assert isinstance(app.screen, HelpScreen) and app.screen.topic == topic
                assert help_text(topic).startswith(title)
                await pilot.press("escape")
    run(scenario())
