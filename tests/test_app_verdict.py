"""Verdict screen: a real counterexample from the built-in oracle, moved through
step by step in the table and the sequence chart; PROMELA; exports."""

from __future__ import annotations

from app_helpers import SIZE, RecordingApp, run, wait_until
from textual.widgets import DataTable, Input, Static, TabbedContent

from rbengine.candidate import Candidate
from rbengine.counterexample import Counterexample, Step
from rbengine.oracle import verify
from rbtui.present import verdict_from_json
from rbtui.screens.verdict import VerdictScreen
from rbtui.widgets.msc import SequenceChart, build_chart

ALG3 = Candidate.loads(
    "broadcast: send_all type0\n"
    "receive: send_all type1 if type0 from 1; deliver if type1 from (N+F)/2; "
    "send_all type1 if type1 from F+1")


def test_open_counterexample_and_move_through_steps(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="composer")
        async with app.run_test(size=SIZE) as pilot:
            composer = app.screen
            composer.set_candidate(ALG3)
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: composer.last_verdict is not None, what="the verdict")
            await pilot.press("ctrl+g")  # open the verdict at the first failing check
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, VerdictScreen)
            cx = screen.current_counterexample()
            assert cx is not None and cx.property == "validity"
            steps = screen.query_one("#steps", DataTable)
            chart = screen.query_one("#msc", SequenceChart)
            assert steps.row_count == len(cx.steps) == chart.steps
            assert steps.cursor_row == 0 and chart.step == 0
            await pilot.press("n", "n", "n")
            assert steps.cursor_row == 3 and chart.step == 3
            assert f"step 4/{len(cx.steps)}" in str(screen.query_one("#step-detail", Static).render())
            await pilot.press("p")
            assert steps.cursor_row == 2 and chart.step == 2
            await pilot.press("end")
            assert chart.step == len(cx.steps) - 1
            # moving in the chart moves the table too
            chart.focus()
            await pilot.press("up")
            assert chart.step == len(cx.steps) - 2 and steps.cursor_row == chart.step
            # the other failing scenario has its own counterexample
            checks = screen.query_one("#verdict-checks", DataTable)
            checks.move_cursor(row=2)
            await pilot.pause()
            assert screen.current_counterexample().scenario == "broadcaster-faulty"
            # PROMELA of that scenario, highlighted
            await pilot.press("v")
            assert screen.query_one("#verdict-tabs", TabbedContent).active == "tab-promela"
            assert "Reliable Broadcast, crash failures" in (screen.current_promela() or "")
            # e: back to the Composer with the candidate
            await pilot.press("e")
            assert app.screen is composer and composer.candidate() == ALG3
    run(scenario())


def test_export_counterexample_text(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="verdict")
        async with app.run_test(size=SIZE) as pilot:
            assert "No verdict yet" in str(app.screen.query_one("#verdict-summary", Static).render())
            v = verify(ALG3, only="crash", n=3, backend="builtin")
            app.open_verdict(ALG3, v)
            await pilot.pause()
            out = tmp_path / "cx.txt"
            app.action_export("counterexample-text")
            await pilot.pause()
            app.screen.query_one("#path-input", Input).value = str(out)
            await pilot.press("enter")
            await pilot.pause()
            assert out.read_text().startswith("RB-Validity violated")
            app.action_export("run-csv")  # nothing to export here: an error, the app stays up
            await pilot.pause()
            assert app.errors() and isinstance(app.screen, VerdictScreen)
    run(scenario())


def test_a_cached_verdict_says_its_counterexample_may_not_be_shortest(tmp_path):
    from rbengine.cache import VerdictCache
    rec, _ = VerdictCache("crash", 3, None, "full", "builtin").verify(ALG3)
    v = verdict_from_json(rec.data, "builtin")
    assert v.counterexample is not None and not v.counterexample.shortest

    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="verdict")
        async with app.run_test(size=SIZE) as pilot:
            app.open_verdict(ALG3, v)
            await pilot.pause()
            title = str(app.screen.query_one("#cx-title", Static).render())
            assert "not necessarily the shortest" in title
            app.open_verdict(ALG3, verify(ALG3, only="crash", n=3, backend="builtin"))
            await pilot.pause()
            assert "shortest" not in str(app.screen.query_one("#cx-title", Static).render())
    run(scenario())


def test_chart_marks_crashes_and_byzantine_sends():
    crash = verify(ALG3, only="crash", n=3, backend="builtin").counterexample
    lines = [t.plain for t in build_chart(crash).rows]
    i = next(k for k, st in enumerate(crash.steps) if st.kind == "crash")
    assert "✖" in lines[i] and f"p{crash.steps[i].process} CRASHES" in lines[i]
    byz = verify(ALG3, only="byzantine", n=4, backend="builtin").counterexample
    chart = build_chart(byz)
    rows = [t.plain for t in chart.rows]
    forged = [k for k, st in enumerate(byz.steps) if st.kind == "byzantine"]
    assert forged and all("✱" in rows[k] for k in forged)
    # the receipt of a Byzantine send is drawn dashed from the Byzantine column
    assert any("╌" in rows[k + 1] for k in forged if byz.steps[k + 1].sender != byz.steps[k + 1].process)
    assert len(chart.rows) == len(byz.steps) + 1  # one row per step, then the final state


def test_chart_of_a_handmade_counterexample():
    cx = Counterexample("crash", 3, 1, "broadcaster-faulty", None, (0,), "agreement", (
        Step("broadcast", 0, fired=("send_all type0",), sends=((0, 0, 0), (1, 0, 0), (2, 0, 0))),
        Step("emit", 0, sends=((2, 0, 0),)),
        Step("crash", 0, dropped=((0, 0, 0), (1, 0, 0))),
        Step("receive", 2, sender=0, msg=(0, 0), fired=("deliver",), delivered=0),
    ), {1: None, 2: 0})
    header = build_chart(cx).header
    assert "crash-prone" in header[1].plain
    rows = [t.plain for t in build_chart(cx).rows]
    assert "■" in rows[0] and "↗" in rows[1] and "✖" in rows[2]
    assert "◀" not in rows[3] and "◆" in rows[3] and "p2 DELIVERS m" in rows[3]
    # p0's lifeline ends at its crash
    col = rows[0].index("■")
    assert rows[3][col] == "●" and rows[4][col] == " "


def test_verdict_from_stored_json_keeps_the_counterexample():
    v = verify(ALG3, target="crash", n=3, backend="builtin", stop_early=True)
    back = verdict_from_json(v.to_json(), "builtin")
    assert not back.correct and back.counterexample == v.counterexample
    assert [c.scenario for c in back.checks] == [c.scenario for c in v.checks]


def test_palette_lists_screens_exports_and_sends_a_candidate_to_the_composer(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="verdict")
        async with app.run_test(size=SIZE) as pilot:
            app.open_verdict(ALG3, verify(ALG3, only="crash", n=3, backend="builtin"))
            await pilot.pause()
            names = {name: cb for name, cb, _help in app.palette_commands(app.screen)}
            for screen in ("Runs", "Composer", "Stepper", "Verdict"):
                assert f"Go to {screen}" in names
            assert {"Export candidate as JSON", "Export counterexample as text",
                    "Export PROMELA model", "Export run history as CSV"} <= set(names)
            names["Edit this screen's candidate in the Composer"]()
            await pilot.pause()
            assert app.current_mode == "composer" and app.screen.candidate() == ALG3
    run(scenario())
