"""Smoke test of the real `rbtui` command in a real terminal (tmux): it starts,
draws the Runs screen, switches screens, opens help, and quits cleanly."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def rbtui_command() -> str:
    exe = shutil.which("rbtui")
    if exe:
        return shlex.quote(exe)
    return f"{shlex.quote(sys.executable)} -c 'from rbtui.cli import main; raise SystemExit(main())'"


class Tmux:
    def __init__(self, socket: str) -> None:
        self.base = ["tmux", "-L", socket]

    def __call__(self, *args: str) -> str:
        return subprocess.run(self.base + list(args), capture_output=True, text=True,
                              timeout=10).stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "smoke")

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        t0 = time.monotonic()
        while True:
            shot = self.screen()
            if text in shot:
                return shot
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"{text!r} did not appear; the screen was:\n{shot}")
            time.sleep(0.1)


def open_new_store(tmux: Tmux) -> str:
    """--db names a file that does not exist yet: the app asks before creating it."""
    tmux.wait_for("There is no store at")
    tmux("send-keys", "-t", "smoke", "y")
    return tmux.wait_for("No runs yet")


def test_rbtui_starts_switches_screens_and_quits(tmp_path):
    db = tmp_path / "store.sqlite"
    tmux = Tmux(f"rbtui-smoke-{tmp_path.name}")
    command = f"{rbtui_command()} --db {shlex.quote(str(db))}; echo EXITED $?; sleep 30"
    tmux("new-session", "-d", "-s", "smoke", "-x", "120", "-y", "40", command)
    try:
        shot = open_new_store(tmux)
        assert "rbtui" in shot and "New run" in shot
        tmux("send-keys", "-t", "smoke", "F3")
        tmux.wait_for("RB-Broadcast handler")
        tmux("send-keys", "-t", "smoke", "F1")
        tmux.wait_for("Build a candidate Reliable Broadcast algorithm by hand")
        tmux("send-keys", "-t", "smoke", "Escape")
        tmux("send-keys", "-t", "smoke", "F5")
        tmux.wait_for("No verdict yet")
        tmux("send-keys", "-t", "smoke", "C-q")
        tmux.wait_for("EXITED 0")
        assert db.exists()
    finally:
        tmux("kill-server")


def test_quit_after_opening_the_stepper_pauses_the_run(tmp_path):
    """Start a run, F4 (Stepper), F2 (Runs), Ctrl+Q: the app exits within a few
    seconds and the run is paused at a checkpoint, resumable."""
    from rbengine.store import Store

    db = tmp_path / "store.sqlite"
    tmux = Tmux(f"rbtui-quit-{tmp_path.name}")
    command = f"{rbtui_command()} --db {shlex.quote(str(db))}; echo EXITED $?; sleep 30"
    tmux("new-session", "-d", "-s", "smoke", "-x", "120", "-y", "40", command)
    try:
        open_new_store(tmux)
        tmux("send-keys", "-t", "smoke", "s")
        tmux.wait_for("Start a learning run")
        tmux("send-keys", "-t", "smoke", "Tab")  # to the N field; Enter starts the run
        tmux("send-keys", "-t", "smoke", "Enter")
        t0 = time.monotonic()
        while True:  # the run has checkpointed some episodes
            if db.exists():
                with Store(db, readonly=True) as store:
                    rows = store.runs()
                if rows and rows[0]["status"] == "running" and rows[0]["episodes_done"] > 0:
                    break
            assert time.monotonic() - t0 < 30, "the run did not start"
            time.sleep(0.2)
        tmux("send-keys", "-t", "smoke", "F4")
        tmux.wait_for("no run")
        tmux("send-keys", "-t", "smoke", "F2")
        time.sleep(0.5)
        t0 = time.monotonic()
        tmux("send-keys", "-t", "smoke", "C-q")
        tmux.wait_for("EXITED 0", timeout=15)
        assert time.monotonic() - t0 < 12
        with Store(db, readonly=True) as store:
            row = store.runs()[0]
        assert row["status"] == "paused", row["status"]
        assert 0 < row["episodes_done"] < row["episodes_planned"]
    finally:
        tmux("kill-server")
