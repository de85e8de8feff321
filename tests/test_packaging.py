"""What the package declares is what is tested: every dependency has a lower
bound that .ci/floors pins and smoke-tests."""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _dependencies() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text()
    block = text.split("\ndependencies = [", 1)[1].split("\n]", 1)[0]
    return re.findall(r'^\s*"([^"]+)"', block, re.M)


def test_every_dependency_has_a_floor_that_ci_pins():
    floors = runpy.run_path(str(ROOT / ".ci" / "floors.py"))["floors"]
    pinned = {name for name, _ in floors(str(ROOT / "pyproject.toml"))}
    for dep in _dependencies():
        name = re.match(r"[A-Za-z0-9_.-]+", dep).group(0)
        assert ">=" in dep, f"{dep}: no lower bound"
        applies = "python_version < '3.11'" not in dep or sys.version_info < (3, 11)
        assert (name in pinned) == applies, dep


def test_the_floors_are_the_ones_known_to_work():
    deps = {re.match(r"[A-Za-z0-9_.-]+", d).group(0): d for d in _dependencies()}
    assert deps["textual"] == "textual>=4.0"
    assert deps["sqlite-utils"] == "sqlite-utils>=4.0"
    assert deps["textual-plotext"].startswith("textual-plotext>=1.0")
    assert "dask" in deps and "z3-solver" in deps
    assert deps["tomli"].endswith("; python_version < '3.11'")


def test_ci_runs_the_floors_check():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\.ci/floors\b", ci, re.M)
