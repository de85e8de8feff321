"""The UI keeps answering keys while the oracle works in a worker (the full
measurement is bench/tui_latency.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from app_helpers import SIZE, run

from rbengine.oracle import verify
from rbtui.app import RbtuiApp
from rbtui.widgets.msc import SequenceChart

_spec = importlib.util.spec_from_file_location(
    "tui_latency", Path(__file__).resolve().parents[1] / "bench" / "tui_latency.py")
tui_latency = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tui_latency)


def test_keys_answered_while_verifying(tmp_path):
    async def scenario():
        app = RbtuiApp(db_path=tmp_path / "store.sqlite", start="composer")
        async with app.run_test(size=SIZE) as pilot:
            composer = app.screen
            composer.set_candidate(tui_latency.ALG3)
            composer.query_one("#verify-backend").value = "reference"
            await pilot.pause()
            app.open_verdict(tui_latency.ALG3, verify(tui_latency.ALG3, only="crash", n=3, backend="builtin"))
            await pilot.pause()
            chart = app.screen.query_one("#msc", SequenceChart)
            busy = []

            def keep_verifying() -> None:  # a verification in flight at every key
                if not composer.verifying:
                    composer.action_verify()
                busy.append(composer.verifying)
            lat = await tui_latency.measure_keys(app, chart, 30, busy=keep_verifying)
            composer.action_cancel_verify()
            assert all(busy)
            # every key was handled (measure_keys fails on one left unanswered for 5 s);
            # how fast is measured by the benchmark, not asserted here
            assert len(lat) == 30
    run(scenario())
