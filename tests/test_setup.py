"""setup.sh installs only what is missing (so it can be run again), and
README.md, setup.sh and .ci/run agree on the commands."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

APT_GET = """#!/bin/bash
echo "apt-get $*" >> "$LOG"
if [ "$1" = install ]; then
    for p in "$@"; do
        case "$p" in -*|install) ;; *) printf '#!/bin/bash\\nexit 0\\n' > "$BIN/$p"; chmod +x "$BIN/$p";; esac
    done
fi
"""
PYTHON = """#!/bin/bash
echo "python $*" >> "$LOG"
"""
PIP = "python -m pip install --quiet --disable-pip-version-check -e .[test]"
PASS = "#!/bin/bash\nexit 0\n"
SUDO = '#!/bin/bash\nexec "$@"\n'


def _sandbox(tmp_path: Path, present: tuple[str, ...]) -> tuple[Path, Path, dict]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "log"
    for name, text in [("apt-get", APT_GET), ("fakepython", PYTHON), ("sudo", SUDO)] + \
            [(p, PASS) for p in present]:
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    for tool in ("dirname", "id", "env", "chmod"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    env = {"PATH": str(bin_dir), "LOG": str(log), "BIN": str(bin_dir), "PYTHON": "fakepython",
           "HOME": str(tmp_path)}
    return bin_dir, log, env


def _run_setup(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([shutil.which("bash"), str(ROOT / "setup.sh")], env=env, text=True,
                          capture_output=True, timeout=30)


def test_setup_installs_only_what_is_missing_and_can_run_again(tmp_path):
    _bin, log, env = _sandbox(tmp_path, present=("gcc",))
    first = _run_setup(env)
    assert first.returncode == 0, first.stderr
    calls = log.read_text().splitlines()
    assert "apt-get update -qq" in calls
    assert "apt-get install -y -qq spin tmux" in calls
    assert PIP in calls

    log.write_text("")
    second = _run_setup(env)
    assert second.returncode == 0, second.stderr
    calls = log.read_text().splitlines()
    assert not any(c.startswith("apt-get") for c in calls)  # nothing left to install
    assert PIP in calls


def test_setup_with_everything_present_touches_no_system_package(tmp_path):
    _bin, log, env = _sandbox(tmp_path, present=("gcc", "spin", "tmux"))
    proc = _run_setup(env)
    assert proc.returncode == 0, proc.stderr
    assert not any(c.startswith("apt-get") for c in log.read_text().splitlines())


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:sh|bash|console)?\n(.*?)\n```", quick, re.S)


def test_readme_gives_exactly_two_commands_and_ci_runs_the_second():
    commands = _readme_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands), commands
    setup, tests = commands
    assert setup.startswith("./setup.sh && ")
    ci = (ROOT / ".ci" / "run").read_text()
    m = re.search(r"^TEST_COMMAND='([^']*)'$", ci, re.M)
    assert m and m.group(1) == tests
    assert "./setup.sh" in ci
    for script in (ROOT / ".ci" / "run", ROOT / "setup.sh"):
        assert os.access(script, os.X_OK), f"{script} is not executable"


VENV_PYTHON = """#!/bin/bash
echo "python $*" >> "$LOG"
if [ "$1 $2" = "-m venv" ]; then
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && chmod +x "$3/bin/python"
fi
"""


@pytest.mark.parametrize("how", ["option", "env"])
def test_setup_installs_into_a_virtual_environment_when_asked(tmp_path, how):
    bin_dir, log, env = _sandbox(tmp_path, present=("gcc", "spin", "tmux"))
    for tool in ("mkdir", "cp"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    (bin_dir / "fakepython").write_text(VENV_PYTHON)
    venv = tmp_path / "env"
    if how == "env":
        env["RBTUI_VENV"] = str(venv)
    proc = subprocess.run([shutil.which("bash"), str(ROOT / "setup.sh"),
                           *(["--venv", str(venv)] if how == "option" else [])],
                          env=env, text=True, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    calls = log.read_text().splitlines()
    assert f"python -m venv {venv}" in calls
    # pip runs in the environment, never in the interpreter that made it
    pip = [c for c in calls if " pip install" in c]
    assert pip == [PIP] and (venv / "bin" / "python").exists()
    assert f". {venv}/bin/activate" in proc.stdout
    assert not any(c.startswith("apt-get") for c in calls)
    # again: the environment is reused
    log.write_text("")
    again = subprocess.run([shutil.which("bash"), str(ROOT / "setup.sh"), "--venv", str(venv)],
                           env=env, text=True, capture_output=True, timeout=30)
    assert again.returncode == 0 and not any("venv" in c for c in log.read_text().splitlines())


def test_setup_refuses_an_unknown_option(tmp_path):
    _bin, log, env = _sandbox(tmp_path, present=("gcc", "spin", "tmux"))
    proc = subprocess.run([shutil.which("bash"), str(ROOT / "setup.sh"), "--venv"], env=env,
                          text=True, capture_output=True, timeout=30)
    assert proc.returncode == 2 and "usage" in proc.stderr
    assert not log.exists() or not log.read_text()


def test_readme_tells_the_installs_setup_offers():
    text = (ROOT / "README.md").read_text()
    for words in ("pipx install .", "uv tool install .", "./setup.sh --venv"):
        assert words in text, words
