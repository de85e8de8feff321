"""Which store the app and the CLI open: a store that cannot be written is
browsed read-only; a store path that does not exist is created only when the
user says so (the app asks; browsing commands refuse; `rbtui run` creates)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from app_helpers import SIZE, RecordingApp, run, wait_until
from textual.widgets import DataTable, Static

from rbengine.config import RunConfig
from rbengine.run import Run
from rbengine.store import Store, writable
from rbtui.screens.dialogs import ConfirmScreen

ROOT = Path(__file__).resolve().parent.parent


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def readonly_store(tmp_path):
    """A store with one finished run, in a directory nobody may write to
    (immutable for root, who ignores permissions; mode 555/444 otherwise)."""
    d = tmp_path / "ro"
    d.mkdir()
    db = d / "store.sqlite"
    with Store(db) as st:
        Run.start(st, RunConfig(target="none", episodes=10, seed=1)).execute()
    root = os.geteuid() == 0
    if root:
        if subprocess.run(["chattr", "+i", str(db), str(d)], capture_output=True).returncode:
            pytest.skip("chattr +i is not supported here")
    else:
        db.chmod(0o444)
        d.chmod(0o555)
    assert not writable(db)
    yield db
    if root:
        subprocess.run(["chattr", "-i", str(db), str(d)])
    else:
        d.chmod(0o755)
        db.chmod(0o644)


def test_a_store_that_cannot_be_written_is_browsed_read_only(readonly_store):
    db = readonly_store
    before = digest(db)

    async def scenario():
        app = RecordingApp(db_path=db)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            table = app.screen.query_one("#runs-table", DataTable)
            assert table.row_count == 1 and "finished" in str(table.get_row_at(0)[3])
            assert app.errors() == []
            assert any("read-only" in m for _s, m in app.notes)
            await pilot.press("d")
            assert not isinstance(app.screen, ConfirmScreen)
            await pilot.press("t")  # the Stepper would write: refused, readably
            await pilot.pause()
            assert any("read-only" in e for e in app.errors())
            await pilot.press("f2")
            await pilot.press("s")  # a new run: the form opens, the start is refused
            await pilot.click("#run-start")
            await pilot.pause()
            assert sum("read-only" in e for e in app.errors()) == 2
    run(scenario())
    assert digest(db) == before


def test_the_app_asks_before_creating_a_store_named_on_the_command_line(tmp_path):
    db = tmp_path / "typo" / "store.sqlite"

    async def scenario(yes: bool):
        app = RecordingApp(db_path=db)
        app.ask_create = True
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            assert str(db) in app.screen.question and "directory" in app.screen.question
            await pilot.press("y" if yes else "n")
            await pilot.pause()
            detail = str(app.screen.query_one("#runs-detail", Static).render())
            if yes:
                assert "No runs yet" in detail
            else:
                assert "No store is open" in detail
                await pilot.press("f3")  # the app stays usable
                assert app.current_mode == "composer"
            assert app.errors() == []

    run(scenario(False))
    assert not db.parent.exists()
    run(scenario(True))
    with Store(db, readonly=True) as st:
        assert st.runs() == []


def cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "rbtui.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)


def test_browsing_commands_refuse_a_missing_store_and_run_creates_one(tmp_path):
    db = tmp_path / "typo" / "store.sqlite"
    for args in (["runs"], ["show", "1"], ["export", "1"], ["run", "--resume", "1"]):
        r = cli(*args, "--db", str(db))
        assert r.returncode == 2, (args, r.stderr)
        assert "no such store" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert not db.parent.exists()
    r = cli("run", "--target", "none", "--episodes", "5", "--seed", "1", "--db", str(db), "-q")
    assert r.returncode == 0, r.stderr
    assert db.exists()


def test_cli_browses_a_store_that_cannot_be_written(readonly_store):
    r = cli("runs", "--db", str(readonly_store))
    assert r.returncode == 0 and "finished" in r.stdout
