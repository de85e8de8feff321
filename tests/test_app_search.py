"""The Searches screen against a real store: a search started from the form
fills the histogram live and ends certified; a search recorded by the command
line is listed with its certified candidates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app_helpers import SIZE, RecordingApp, run, wait_until
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from rbengine.store import Store
from rbtui.screens.search import SearchScreen

ROOT = Path(__file__).resolve().parent.parent


def text(screen, wid: str) -> str:
    return str(screen.query_one(wid, Static).render())


def test_start_a_search_watch_it_fill_and_end_certified(tmp_path):
    db = tmp_path / "store.sqlite"

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("c")
            screen = app.screen
            assert isinstance(screen, SearchScreen)
            assert "No searches yet" in text(screen, "#search-histogram")
            screen.query_one("#search-target", Select).value = "crash"
            screen.query_one("#search-max", Input).value = "3"
            screen.query_one("#search-workers", Input).value = "0"
            screen.query_one("#search-all", Checkbox).value = True
            await pilot.click("#search-go")
            await wait_until(pilot, lambda: screen.rows, what="the search to be listed")
            await wait_until(pilot, lambda: next(iter(screen.rows.values()))["status"] == "finished",
                             timeout=60, what="the search to finish")
            screen.reload()
            await pilot.pause()
            hist = text(screen, "#search-histogram")
            assert "630/630 candidates verified" in hist
            assert "-7" in hist and "2 correct / 12 incorrect of 14" in hist
            best = text(screen, "#search-best")
            assert "Certified cheapest correct candidates (total reward -7" in best
            assert "send_neighbours type1" in best
            assert not app.errors()
            # bad input: one notification, nothing started
            screen.query_one("#search-max", Input).value = "four"
            await pilot.click("#search-go")
            await pilot.pause()
            assert app.errors() and "whole number" in app.errors()[-1]
        with Store(db) as st:
            assert len(st.searches()) == 1

    run(scenario())


def test_a_search_from_the_command_line_is_listed(tmp_path):
    db = tmp_path / "store.sqlite"
    r = subprocess.run([sys.executable, "-m", "rbtui.cli", "search", "--target", "none",
                        "--workers", "0", "--db", str(db), "-q"], cwd=ROOT, capture_output=True,
                       text=True, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("c")
            screen = app.screen
            await pilot.pause()
            table = screen.query_one("#search-table", DataTable)
            assert table.row_count == 1
            assert "finished" in str(table.get_row_at(0)) and "-5" in str(table.get_row_at(0))
            assert "total reward -5" in text(screen, "#search-best")
            await pilot.press("escape")
            assert not isinstance(app.screen, SearchScreen)

    run(scenario())
