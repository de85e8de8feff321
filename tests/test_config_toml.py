"""A TOML run configuration loads on every Python that requires-python allows:
tomllib from 3.11 on, tomli on 3.10, and a readable error when neither exists."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOML = 'target = "none"\nepisodes = 50\n[heuristics]\nGH9 = false\n'
LOAD = ("import sys; from rbengine.config import RunConfig; c = RunConfig.load(sys.argv[1]); "
        "print(c.target, c.episodes, c.heuristics.enabled('GH9'))")


def _python310() -> str | None:
    """A working Python 3.10 interpreter with tomli, if this machine has one."""
    found = [shutil.which("python3.10")] + sorted(
        glob.glob(os.path.expanduser("~/.pyenv/versions/3.10*/bin/python3.10")))
    for exe in filter(None, found):
        proc = subprocess.run([exe, "-c", "import sys, tomli; assert sys.version_info[:2] == (3, 10)"],
                              capture_output=True)
        if proc.returncode == 0:
            return exe
    return None


def _load(python: str, path: Path, prelude: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([python, "-c", prelude + LOAD, str(path)], capture_output=True,
                          text=True, env=env, timeout=60)


def test_toml_on_python_3_10_uses_tomli(tmp_path):
    python = _python310()
    if python is None:
        pytest.skip("no Python 3.10 with tomli on this machine")
    p = tmp_path / "run.toml"
    p.write_text(TOML)
    proc = _load(python, p)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["none", "50", "False"]


def test_toml_without_any_reader_is_one_readable_error(tmp_path):
    p = tmp_path / "run.toml"
    p.write_text(TOML)
    block = "import sys; sys.modules['tomllib'] = None; sys.modules['tomli'] = None\n"
    proc = _load(sys.executable, p, block)
    assert proc.returncode == 1
    assert "ConfigError" in proc.stderr and "reading TOML needs Python 3.11 or the tomli" in proc.stderr


def test_toml_with_the_standard_library(tmp_path):
    if sys.version_info < (3, 11):
        pytest.skip("tomllib is new in Python 3.11")
    p = tmp_path / "run.toml"
    p.write_text(TOML)
    proc = _load(sys.executable, p)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["none", "50", "False"]
