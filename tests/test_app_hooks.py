"""The screens' contract (rbtui/screens/base.py): every screen of the app
derives from the hooks' base class, and the app calls hooks, never probes."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

from app_helpers import SIZE, RecordingApp, run
from textual.screen import Screen

import rbtui.screens
from rbengine.candidate import Candidate
from rbengine.oracle import verify
from rbtui.messages import RunEnded, RunMessage, RunProgress, RunStarted
from rbtui.screens.base import RbDialog, RbScreen, ScreenHooks

ROOT = Path(__file__).resolve().parents[1]


def screen_classes():
    for info in pkgutil.iter_modules(rbtui.screens.__path__):
        mod = importlib.import_module(f"rbtui.screens.{info.name}")
        for _name, cls in inspect.getmembers(mod, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == mod.__name__:
                yield cls


def test_every_screen_derives_from_the_base_class():
    classes = list(screen_classes())
    assert len(classes) >= 10
    for cls in classes:
        assert issubclass(cls, ScreenHooks), cls
        assert issubclass(cls, (RbScreen, RbDialog)), cls


def test_the_app_calls_hooks_and_never_checks_class_names():
    for path in [ROOT / "rbtui" / "app.py", *sorted((ROOT / "rbtui" / "screens").glob("*.py"))]:
        text = path.read_text()
        assert "__class__.__name__" not in text, path
        assert not re.search(r"type\([^)]*\)\.__name__\s*[!=]=", text), path
        assert not re.search(r"\b(getattr|hasattr)\(self\.(screen|app)\b", text), path
        assert not re.search(r"\b(getattr|hasattr)\(screen\b", text), path


def test_run_messages_share_a_typed_base():
    for cls in (RunStarted, RunProgress, RunEnded):
        assert issubclass(cls, RunMessage)
    assert RunEnded(1, None, "failed", "boom").run_id is None


def test_hooks_default_to_nothing_and_the_app_falls_back_to_the_verdict(tmp_path):
    alg = Candidate.loads("broadcast: send_all type0\nreceive: deliver")

    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="runs")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.hooks is app.screen
            assert app.current_candidate() is None and app.current_counterexample() is None
            v = verify(alg, only="crash", n=3, backend="builtin")
            app.set_verdict(alg, v)
            # the Runs screen shows no candidate (empty store): the verdict's is the current one
            assert app.current_candidate() == alg
            assert app.current_counterexample() == v.counterexample
            app.action_help()
            await pilot.pause()
            assert isinstance(app.screen, RbDialog) and app.screen.topic == "runs"
    run(scenario())
