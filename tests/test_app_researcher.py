"""What a researcher expects of the app: the best candidate's total reward in
the live view, a run's verdict one key away, counterexample steps linked to
the PROMELA lines they execute, the vocabulary in the Runs table, and Fig. 3
readable when correct candidates are rare (Pilot, real store and oracle)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from app_helpers import SIZE, RecordingApp, run, screen_text, wait_until
from textual.widgets import DataTable, TabbedContent

from rbengine.candidate import Candidate
from rbengine.notation import format_action
from rbengine.oracle import verify
from rbengine.oracle.spin import _effect, promela, step_lines
from rbengine.scenario import scenarios
from rbengine.store import Store
from rbtui.screens.run import RunScreen, correct_on_second_axis
from rbtui.screens.verdict import VerdictScreen

EXAMPLE = Path(__file__).resolve().parent.parent / "store.sqlite.example"
ALG3 = Candidate.loads(
    "broadcast: send_all type0\n"
    "receive: send_all type1 if type0 from 1; deliver if type1 from (N+F)/2; "
    "send_all type1 if type1 from F+1")
BRACHA_WEAK = Candidate.loads(
    "broadcast: send_all type0\nreceive: send_all type1 if type0 from origin; "
    "send_all type2 if type1 from F+1; deliver if type2 from F+1")
ECHO = Candidate.loads("broadcast: send_all type0\n"
                       "receive: send_all type1 if type0 from 1; deliver if type1 from F+1")
EFF = re.compile(r"^\s*(effb|eff0|eff\[\d+\]) = (\d+);\s+/\* (.*) \*/$")


def example_store(tmp_path) -> Path:
    db = tmp_path / "store.sqlite"
    shutil.copy(EXAMPLE, db)
    return db


def scenario_of(cx):
    return next(s for s in scenarios(cx.mode, cx.n, cx.f, cx.attacker or "full")
                if s.name == cx.scenario)


# ---- counterexample steps and PROMELA lines ---------------------------------------
@pytest.mark.parametrize("candidate,kw", [
    (ALG3, {"only": "crash", "n": 3}),
    (ALG3, {"only": "byzantine", "n": 4}),
    (BRACHA_WEAK, {"only": "byzantine", "n": 4}),
    (ECHO, {"only": "byzantine", "n": 7, "attacker": "same-value"}),
])
def test_every_fired_action_maps_to_the_table_line_generated_for_it(candidate, kw):
    cx = verify(candidate, backend="builtin", **kw).counterexample
    assert cx is not None
    sc = scenario_of(cx)
    model = promela(candidate, sc)
    lines = model.splitlines()
    linked = 0
    for st in cx.steps:
        found = step_lines(model, candidate, sc, st)
        assert found, st  # every step is linked to some line
        assert len(found) == len(set(found))
        table_lines = [(k, EFF.match(lines[k - 1])) for k in found]
        table_lines = [(k, m) for k, m in table_lines if m]
        handler = candidate.broadcast if st.kind == "broadcast" else candidate.receive
        for text in st.fired:
            action = next(a for a in handler if format_action(a) == text)
            # a line of the table names the action, and its entry holds the action's effect
            hits = [m for _k, m in table_lines if text in m.group(3)]
            assert hits, (st, [lines[k - 1] for k in found])
            m = hits[0]
            assert int(m.group(2)) & _effect(action) == _effect(action)
            assert (m.group(1) == "effb") == (st.kind == "broadcast")
            linked += 1
        if st.fired:  # the first line shown is the table's
            assert EFF.match(lines[found[0] - 1])
    assert linked >= 2


def test_selecting_a_step_highlights_and_shows_its_promela_line(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="verdict")
        async with app.run_test(size=SIZE) as pilot:
            v = verify(ALG3, only="crash", n=3, backend="builtin")
            app.open_verdict(ALG3, v)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, VerdictScreen)
            cx = screen.current_counterexample()
            sc = scenario_of(cx)
            model = screen.current_promela()
            assert model == promela(ALG3, sc)
            # the step firing "deliver if type1 from (N+F)/2"
            k = next(i for i, st in enumerate(cx.steps) if "deliver if type1 from (N+F)/2" in st.fired)
            for _ in range(k):
                await pilot.press("n")
            await pilot.pause()
            assert screen.promela_lines == step_lines(model, ALG3, sc, cx.steps[k])
            first = screen.promela_lines[0]
            assert "deliver if type1 from (N+F)/2" in model.splitlines()[first - 1]
            assert f"PROMELA line {first}" in screen_text(app)
            await pilot.press("v")
            await wait_until(pilot, screen.promela_line_visible, timeout=5,
                             what="the step's PROMELA line on screen")
            text = screen_text(app)
            assert re.search(rf"❱\s*{first} ", text), "the line is not marked"
            # another step, seen from the PROMELA tab: it follows
            await pilot.press("c", "home")
            await pilot.pause()
            assert screen.promela_lines[0] != first
            assert "effb" in model.splitlines()[screen.promela_lines[0] - 1]  # the broadcast
            await pilot.press("v")
            await wait_until(pilot, screen.promela_line_visible, timeout=5, what="the broadcast line")
            assert screen.query_one("#verdict-tabs", TabbedContent).active == "tab-promela"
    run(scenario())


# ---- runs ---------------------------------------------------------------------------
def test_runs_table_shows_the_vocabulary_and_v_opens_the_run_verdict(tmp_path):
    db = example_store(tmp_path)
    with Store(db) as st:
        row = st.run(1)
    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            table = app.screen.query_one("#runs-table", DataTable)
            await wait_until(pilot, lambda: table.row_count == 1, what="the run")
            assert str(table.get_row_at(0)[4]) == "paper"
            await pilot.press("v")
            await pilot.pause()
            assert isinstance(app.screen, VerdictScreen)
            view = app.verdict_view
            assert view.candidate.content_hash() == row["result_hash"]
            assert view.verdict.correct and len(view.verdict.checks) == 3
            assert "CORRECT" in screen_text(app)
            assert app.errors() == []
    run(scenario())


def test_v_without_a_verdict_says_so(tmp_path):
    db = example_store(tmp_path)
    with Store(db) as st:
        st.update_run(1, result_hash=None, best_hash=None, final_hash=None)

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("v")
            await pilot.pause()
            assert app.current_mode == "runs"
            assert any("no verdict yet" in m for s, m in app.notes if s == "warning")
    run(scenario())


def test_the_live_view_shows_the_best_candidate_total_reward(tmp_path):
    db = example_store(tmp_path)
    with Store(db) as st:
        row = st.run(1)
        eps = [e for e in st.episodes(1) if e["candidate_hash"] == row["result_hash"]]
    assert eps
    total = eps[0]["accumulated"] + eps[0]["bonus"]  # what the learner received for it

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, RunScreen)
            assert f"total reward {total:g} (runtime {eps[0]['accumulated']:g} + bonus " \
                   f"{eps[0]['bonus']:g})" in screen_text(app)
            await pilot.press("v")  # the verdict from the live view too
            await pilot.pause()
            assert isinstance(app.screen, VerdictScreen)
    run(scenario())


# ---- Fig. 3 ---------------------------------------------------------------------------
def test_rare_correct_candidates_get_a_second_axis():
    assert correct_on_second_axis([10, 100, 1000], [0, 2, 30])
    assert not correct_on_second_axis([10, 100, 1000], [5, 40, 300])
    assert not correct_on_second_axis([0], [0])


def test_fig3_draws_rare_correct_candidates_on_the_right_axis(tmp_path):
    db = example_store(tmp_path)

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("o")
            await pilot.pause()
            live = app.screen
            live._redraw_plots()
            await pilot.pause()
            assert not live.fig3_second_axis  # 142 of 478: readable on one axis
            assert "right axis" not in screen_text(app)
            live.points = [(e, e, 10 * e, e // 50) for e in range(1, 600)]
            live._plot_dirty = True
            live._redraw_plots()
            await pilot.pause()
            assert live.fig3_second_axis
            assert "correct (right axis)" in screen_text(app)
    run(scenario())
