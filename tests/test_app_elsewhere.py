"""A run owned by another process (`rbtui run` headless on the same store):
the app shows it as running elsewhere with its pid and progress, and Pause
and Stop reach it through a request in the store, honoured by that process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app_helpers import SIZE, RecordingApp, run, send_key, wait_until
from textual.widgets import DataTable, ProgressBar, Static

from rbengine.store import Store
from rbtui.screens.dialogs import ConfirmScreen
from rbtui.screens.run import RunScreen

ROOT = Path(__file__).resolve().parent.parent


def headless(db: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.Popen([sys.executable, "-m", "rbtui.cli", "run", "--db", str(db), "-q", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def row(db: Path, run_id: int = 1) -> dict:
    with Store(db, readonly=True) as st:
        return st.run(run_id)


def wait_running(db: Path, proc: subprocess.Popen) -> None:
    import time
    t0 = time.monotonic()
    while True:
        assert proc.poll() is None, proc.communicate()
        if db.exists():
            try:
                r = row(db)
            except Exception:
                r = None
            if r and r["status"] == "running" and r["pid"] == proc.pid and r["episodes_done"] > 0:
                return
        assert time.monotonic() - t0 < 60, "the headless run did not start"
        time.sleep(0.05)


def test_pause_and_stop_a_run_of_another_process(tmp_path):
    db = tmp_path / "store.sqlite"
    proc = headless(db, "--target", "crash", "--episodes", "200000", "--seed", "7")
    try:
        wait_running(db, proc)

        async def pause_it():
            app = RecordingApp(db_path=db)
            async with app.run_test(size=SIZE) as pilot:
                table = app.screen.query_one("#runs-table", DataTable)
                await wait_until(pilot, lambda: table.row_count == 1, what="the run")
                assert f"running elsewhere (pid {proc.pid})" in str(table.get_row_at(0)[3])
                assert str(proc.pid) in str(app.screen.query_one("#runs-detail", Static).render())
                first = int(str(table.get_row_at(0)[2]).split("/")[0])
                await wait_until(pilot, lambda: int(str(table.get_row_at(0)[2]).split("/")[0]) > first,
                                 what="live progress of the other process")
                send_key(app, "p")
                await wait_until(pilot, lambda: any("Asked process" in m for _s, m in app.notes),
                                 what="the request")
                await wait_until(pilot, lambda: proc.poll() is not None, 30, "the other process to pause")
                await wait_until(pilot, lambda: "paused" in str(table.get_row_at(0)[3]), what="paused")
                assert app.errors() == []
        run(pause_it())
        assert proc.returncode == 130, proc.communicate()
        r = row(db)
        assert r["status"] == "paused" and "on request" in r["message"] and r["request"] is None

        proc = headless(db, "--resume", "1")
        wait_running(db, proc)

        async def stop_it():
            app = RecordingApp(db_path=db)
            async with app.run_test(size=SIZE) as pilot:
                await pilot.press("o")
                await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), what="the live view")
                live = app.screen
                title = live.query_one("#run-title", Static)
                assert f"running elsewhere (pid {proc.pid}" in str(title.render())
                bar = live.query_one("#run-progress", ProgressBar)
                first = bar.progress
                await wait_until(pilot, lambda: bar.progress > first, what="the live view to follow")
                send_key(app, "x")
                await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
                await pilot.press("y")
                await wait_until(pilot, lambda: proc.poll() is not None, 30, "the other process to stop")
                await wait_until(pilot, lambda: "finished" in str(title.render()), what="finished")
                assert app.errors() == []
        run(stop_it())
        assert proc.returncode in (0, 1), proc.communicate()
        r = row(db)
        assert r["status"] == "finished" and r["episodes_planned"] == 200_000
        assert r["episodes_done"] < 200_000 and r["final_hash"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
