"""The source distribution carries everything its own tests need, and the
package data the wheel declares exists. Built offline with setuptools."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".venv",
                              ".pytest_cache", "*.trail")


def _build_sdist(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=SKIP, symlinks=True)
    out = tmp_path / "dist"
    out.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c",
         "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))",
         str(out)], cwd=src, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out / proc.stdout.split()[-1]


def _tracked(*dirs: str) -> set[str]:
    files = set()
    for d in dirs:
        for p in (ROOT / d).rglob("*"):
            if p.is_file() and "__pycache__" not in p.parts:
                files.add(p.relative_to(ROOT).as_posix())
    return files


def test_sdist_holds_tests_examples_docs_and_the_example_store(tmp_path):
    sdist = _build_sdist(tmp_path)
    with tarfile.open(sdist) as tar:
        prefix = tar.getnames()[0].split("/")[0]
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        tar.extractall(tmp_path / "x")
    for must in ("tests/conftest.py", "tests/app_helpers.py", "tests/reference_table.py",
                 "store.sqlite.example", "setup.sh", ".ci/run", "README.md",
                 "rbengine/oracle/templates/common.pml.j2", "rbtui/rbtui.tcss"):
        assert must in names, must
    expected = _tracked("tests", "examples", "docs") | {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "rbtui" / "help").glob("*.md")}
    missing = sorted(expected - names)
    assert not missing, missing
    assert any(n.startswith("tests/__snapshots__/") and n.endswith(".svg") for n in names)
    # the unpacked sdist's own tests can be collected
    root = tmp_path / "x" / prefix
    env = dict(os.environ, PYTHONPATH=str(root))
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                           "no:cacheprovider", "tests"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert re.search(r"\d+ tests? collected", proc.stdout)
    assert os.access(root / "setup.sh", os.X_OK)


def test_package_data_names_only_existing_files():
    text = (ROOT / "pyproject.toml").read_text()
    block = text.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    patterns = re.findall(r'^(\w+)\s*=\s*\[(.*)\]', block, re.M)
    assert patterns
    for package, items in patterns:
        for pattern in re.findall(r'"([^"]+)"', items):
            assert glob.glob(str(ROOT / package / pattern)), f"{package}/{pattern} matches nothing"
