"""Layouts from 80x24 to wide terminals: the sequence chart shows every
process when there is room and keeps its highlighted step on screen, the
Verdict screen shows several steps at 80x24, the live view's plots have room,
the Composer's results table is not clipped (Pilot, real verdicts and store)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from app_helpers import RecordingApp, run, screen_text, wait_until
from textual.widgets import DataTable
from textual_plotext import PlotextPlot

from rbengine.candidate import Candidate
from rbengine.oracle import verify
from rbtui.screens.run import RunScreen
from rbtui.widgets.msc import HEADER_ROWS, SequenceChart

EXAMPLE = Path(__file__).resolve().parent.parent / "store.sqlite.example"
ECHO = Candidate.loads("broadcast: send_all type0\n"
                       "receive: send_all type1 if type0 from 1; deliver if type1 from F+1")
ALG3 = Candidate.loads(
    "broadcast: send_all type0\n"
    "receive: send_all type1 if type0 from 1; deliver if type1 from (N+F)/2; "
    "send_all type1 if type1 from F+1")


def n7_verdict():
    """A real Byzantine counterexample at N=7 (11 steps, 7 lifelines)."""
    v = verify(ECHO, only="byzantine", n=7, attacker="same-value", backend="builtin")
    assert v.counterexample is not None and v.counterexample.n == 7
    return v


def line(chart: SequenceChart, y: int) -> str:
    return "".join(seg.text for seg in chart.render_line(y))


@pytest.mark.parametrize("size", [(220, 50), (160, 40)])
def test_the_chart_shows_every_process_when_there_is_room(tmp_path, size):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="verdict")
        async with app.run_test(size=size) as pilot:
            app.open_verdict(ECHO, n7_verdict())
            await pilot.pause()
            chart = app.screen.query_one("#msc", SequenceChart)
            header = line(chart, 0)
            for p in range(7):
                assert f"p{p}" in header, (p, header)
            assert chart.scrollable_content_region.width >= chart.grid_width
            assert app.screen.query_one("#steps", DataTable).display  # the table stays beside it
    run(scenario())


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (220, 30)])
def test_the_highlighted_step_is_on_screen_after_end_and_home(tmp_path, size):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="verdict")
        async with app.run_test(size=size) as pilot:
            app.open_verdict(ECHO, n7_verdict())
            await pilot.pause()
            chart = app.screen.query_one("#msc", SequenceChart)
            last = chart.steps - 1
            await pilot.press("end")
            await pilot.pause()
            assert chart.step == last and chart.step_visible()
            row = line(chart, HEADER_ROWS + last - chart.scroll_offset.y)
            assert row.lstrip().startswith(str(last + 1)), row
            await pilot.press("home")
            await pilot.pause()
            assert chart.step == 0 and chart.step_visible() and chart.scroll_offset.y == 0
            for _ in range(last):
                await pilot.press("n")
            await pilot.pause()
            assert chart.step == last and chart.step_visible()
    run(scenario())


def test_the_verdict_at_80x24_shows_the_chart_with_several_steps(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="verdict")
        async with app.run_test(size=(80, 24)) as pilot:
            app.open_verdict(ECHO, n7_verdict())
            await pilot.pause()
            screen = app.screen
            chart = screen.query_one("#msc", SequenceChart)
            assert not screen.query_one("#steps", DataTable).display  # the step line says the rest
            assert chart.visible_rows >= 6
            header = line(chart, 0)
            assert all(f"p{p}" in header for p in range(7))  # narrower columns, every lifeline
            assert app.focused is chart
            await pilot.press("down", "down", "n")
            assert chart.step == 3
            assert "step 4/11" in screen_text(app)
    run(scenario())


def test_the_live_view_plots_have_room_at_80x24(tmp_path):
    db = tmp_path / "store.sqlite"
    shutil.copy(EXAMPLE, db)

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("o")
            await pilot.pause()
            live = app.screen
            assert isinstance(live, RunScreen) and live.has_class("short")
            live._redraw_plots()
            await pilot.pause()
            for plot in live.query(PlotextPlot):
                assert plot.region.height >= 8
            text = screen_text(app)
            braille_rows = [ln for ln in text.splitlines() if any(0x2800 < ord(c) <= 0x28FF for c in ln)]
            assert len(braille_rows) >= 6
            # the best candidate in the compact notation, with its total reward
            assert "receive:" in text and "total reward" in text
    run(scenario())


@pytest.mark.parametrize("size", [(160, 40), (220, 50)])
def test_the_composer_results_table_is_not_clipped(tmp_path, size):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="composer")
        async with app.run_test(size=size) as pilot:
            composer = app.screen
            composer.set_candidate(ECHO)
            composer.last_params = None
            await pilot.pause()
            v = verify(ECHO, target="byzantine", n=7, attacker="same-value", backend="builtin")
            composer.last_verdict, composer.last_candidate = v, ECHO
            composer.last_params = composer.form_params()
            composer._result_shown = None
            composer._show_result()
            await pilot.pause()
            await pilot.pause()
            table = composer.query_one("#checks", DataTable)
            assert table.row_count == len(v.checks)
            assert table.scrollable_content_region.width >= table.virtual_size.width
            assert "byzantine same-value N=7 F=2 broadcaster-faulty" in screen_text(app)
    run(scenario())


def test_the_composer_at_80x24_stacks_its_panes_and_shows_the_result(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="composer")
        async with app.run_test(size=(80, 24)) as pilot:
            composer = app.screen
            assert composer.has_class("narrow")
            composer.set_candidate(ALG3)
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: composer.last_verdict is not None, what="the verdict")
            # scrolled into view once laid out
            await wait_until(pilot, lambda: "INCORRECT" in screen_text(app), timeout=5,
                             what="the result on screen")
    run(scenario())
