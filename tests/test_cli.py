"""The rbtui command line, run for real in subprocesses."""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import os
import pkgutil
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import rbtui.commands
from rbtui import cli
from rbtui.commands._common import Style

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BACKEND = "builtin" if importlib.util.find_spec("rbengine.oracle.builtin") else "reference"

ALG1 = "broadcast: send_all type0\nreceive: deliver\n"
ALG2 = "broadcast: send_myself type0\nreceive: send_neighbours type1; deliver\n"
ALG3_JSON = """{"broadcast": [["send_all", 0, 0, "0"], ["stop", null, 0, "0"]],
 "receive": [["send_all", 1, 0, "1"], ["deliver", null, 1, "(N+F)/2"],
             ["send_all", 1, 1, "F+1"], ["stop", null, 0, "0"]]}"""


def run_cli(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "rbtui.cli", *args], input=stdin, text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=timeout)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("rbtui: error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.fixture
def files(tmp_path):
    out = {}
    for name, text in {"alg1.txt": ALG1, "alg2.txt": ALG2, "alg3.json": ALG3_JSON,
                       "bad.json": '{"broadcast": [["send_all", 0, 0, "0"]',
                       "token.txt": "broadcast: send_all type0\nreceive: deliver if type1 from 3F\n",
                       "logic.json": '{"receive": [["shout", null, 0, "0"]]}'}.items():
        p = tmp_path / name
        p.write_text(text)
        out[name.split(".")[0]] = str(p)
    return out


# ---- verify: exit codes and output -------------------------------------------------

def test_verify_correct_exits_0(files):
    proc = run_cli("verify", files["alg2"], "--target", "crash", "--backend", BACKEND)
    assert proc.returncode == 0, proc.stderr
    first, *rows = proc.stdout.splitlines()
    assert first.startswith("correct")
    assert len(rows) == 3  # none all-correct, crash broadcaster-correct / -faulty
    assert all("N=3" in r and "correct" in r for r in rows)
    assert "\x1b[" not in proc.stdout  # no colour when not a terminal
    assert proc.stderr == ""


def test_verify_incorrect_exits_1_with_counterexample(files):
    proc = run_cli("verify", files["alg1"], "--only", "crash", "--backend", BACKEND)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert out.startswith("incorrect (agreement, crash broadcaster-faulty)")
    assert "Counterexample:" in out and "RB-Agreement violated" in out
    assert "  1. p0 RB-Broadcast(m)" in out
    assert "DELIVERS m" in out


def test_verify_json_shape(files):
    proc = run_cli("verify", files["alg1"], "--only", "crash", "--backend", BACKEND, "--json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)  # exactly one object
    assert {"correct", "checks", "counterexample", "candidate_hash", "backend"} <= set(data)
    assert set(data) <= {"correct", "checks", "counterexample", "attacker", "sizes", "notes",
                         "candidate_hash", "backend", "states", "seconds"}
    assert data["correct"] is False
    # the same candidate and backend as the human output's first line
    human = run_cli("verify", files["alg1"], "--only", "crash", "--backend", BACKEND)
    assert human.stdout.splitlines()[0].split("  ", 1)[1].startswith(
        f"candidate {data['candidate_hash']}, backend {data['backend']}, {data['states']} states")
    assert data["backend"] == BACKEND
    assert data["states"] == sum(c["states"] for c in data["checks"])
    for c in data["checks"]:
        assert {"mode", "n", "f", "scenario", "correct", "property", "states", "seconds"} <= set(c)
        assert c["mode"] == "crash" and c["n"] == 3 and c["f"] == 1
    cx = data["counterexample"]
    assert cx["property"] == "agreement" and cx["steps"]
    assert all("text" in s for s in cx["steps"])

    proc = run_cli("verify", files["alg1"], "--only", "none", "--backend", BACKEND, "--json")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert data["correct"] is True and data["counterexample"] is None
    assert [(c["mode"], c["n"], c["f"], c["scenario"]) for c in data["checks"]] == \
        [("none", 3, 0, "all-correct")]


def test_verify_reads_json_and_stdin(files):
    proc = run_cli("verify", "-", "--only", "none", "--backend", BACKEND, "--json",
                 stdin=Path(files["alg3"]).read_text())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["correct"] is True


@pytest.mark.skipif(BACKEND != "builtin", reason="the built-in checker is not there yet")
def test_verify_defaults_to_the_byzantine_target_at_n4(files):
    proc = run_cli("verify", files["alg3"], "--backend", "builtin", "--json")
    assert proc.returncode == 1
    checks = json.loads(proc.stdout)["checks"]
    assert [c["mode"] for c in checks] == ["none", "crash", "crash", "byzantine", "byzantine"]
    assert {c["n"] for c in checks} == {4}
    assert checks[-1]["attacker"] == "full"
    proc = run_cli("verify", files["alg3"], "--backend", "builtin", "--attacker", "same-value")
    assert proc.returncode == 0, proc.stdout


def test_verify_n_and_f(files):
    proc = run_cli("verify", files["alg1"], "--only", "crash", "--n", "4", "--f", "1",
                 "--backend", BACKEND, "--json")
    assert proc.returncode == 1
    assert {(c["n"], c["f"]) for c in json.loads(proc.stdout)["checks"]} == {(4, 1)}


# ---- errors: exit 2, one line on stderr ----------------------------------------------

@pytest.mark.parametrize("key,expected", [
    ("bad", "malformed JSON at line 1"),
    ("token", "unknown threshold token '3F'"),
    ("logic", "unknown logic 'shout'"),
])
def test_malformed_candidate_exits_2_with_one_line(files, key, expected):
    proc = run_cli("verify", files[key], "--only", "none", "--backend", BACKEND)
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert expected in line and Path(files[key]).name in line
    assert proc.stdout == ""


def test_missing_file_and_bad_sizes_exit_2(files, tmp_path):
    proc = run_cli("verify", str(tmp_path / "nope.json"), "--backend", BACKEND)
    assert proc.returncode == 2 and "cannot read" in one_error_line(proc)
    proc = run_cli("verify", files["alg1"], "--only", "crash", "--n", "3", "--f", "5",
                 "--backend", BACKEND)
    assert proc.returncode == 2 and "F=5 is out of range" in one_error_line(proc)
    proc = run_cli("verify", "-", "--only", "none", "--backend", BACKEND, stdin="receive: yell")
    assert proc.returncode == 2 and "<stdin>" in one_error_line(proc)


def test_usage_errors_exit_2(files):
    assert run_cli("verify", files["alg1"], "--target", "none", "--only", "crash").returncode == 2
    assert run_cli("verify").returncode == 2
    assert run_cli("frobnicate", "x", "y").returncode == 2
    assert run_cli("verify", files["alg1"], "--backend", "nope").returncode == 2


@pytest.mark.parametrize("command", ["verify", "matrix"])
@pytest.mark.parametrize("types", ["0", "-1"])
def test_types_below_one_is_refused_in_one_line(files, command, types):
    proc = run_cli(command, files["alg1"], "--types", types)
    assert proc.returncode == 2
    assert "--types" in one_error_line(proc) and ">= 1" in proc.stderr


def test_types_below_what_the_candidate_uses_is_raised_and_said():
    """Alg. 3 uses type1, so --types 1 models two types: the verdict is the
    default one (the reference table's), and stderr says why."""
    path = str(ROOT / "examples" / "alg3.txt")
    low = run_cli("verify", path, "--types", "1", "--backend", "builtin", "--json")
    default = run_cli("verify", path, "--backend", "builtin", "--json")
    assert low.returncode == default.returncode == 1
    assert "--types 1 is raised to 2" in low.stderr and "raised" not in default.stderr
    a, b = json.loads(low.stdout), json.loads(default.stdout)
    assert [(c["scenario"], c["property"]) for c in a["checks"]] == \
        [(c["scenario"], c["property"]) for c in b["checks"]]
    assert a["counterexample"]["property"] == "validity"


@pytest.mark.parametrize("args", [
    ["verify", "{alg1}"], ["matrix", "{alg1}"], ["promela", "{alg1}", "--only", "none"],
    ["show-candidate", "{alg1}"], ["trail", "{alg1}"]])
@pytest.mark.parametrize("before", [False, True])
def test_db_is_refused_by_a_command_without_a_store(files, tmp_path, args, before):
    args = [a.format(**files) for a in args]
    db = ["--db", str(tmp_path / "s.sqlite")]
    proc = run_cli(*(db + args if before else args + db))
    assert proc.returncode == 2
    assert f"{args[0]} uses no store: drop --db" in one_error_line(proc)
    assert not (tmp_path / "s.sqlite").exists()
    if args[0] in ("verify", "show-candidate", "promela"):  # the same without --db works
        assert run_cli(*args).returncode in (0, 1)


@pytest.mark.parametrize("fmt", ["json", "pseudo", "latex"])
def test_export_refuses_scenario_without_promela(tmp_path, fmt):
    db = tmp_path / "example.sqlite"
    shutil.copy(ROOT / "store.sqlite.example", db)
    proc = run_cli("export", "1", "--format", fmt, "--scenario", "broadcaster-faulty",
                   "--db", str(db))
    assert proc.returncode == 2 and "--scenario" in one_error_line(proc)
    ok = run_cli("export", "1", "--format", "promela", "--scenario", "broadcaster-faulty",
                 "--db", str(db))
    assert ok.returncode == 0 and "broadcaster-faulty" in ok.stdout, ok.stderr


def test_usage_errors_are_one_line(files):
    for args in (["verify"], ["frobnicate", "x", "y"], ["verify", files["alg1"], "--backend", "nope"]):
        proc = run_cli(*args)
        assert proc.returncode == 2 and "--help" in one_error_line(proc)


def test_timeout_exits_2():
    t0 = time.monotonic()
    proc = run_cli("verify", str(EXAMPLES / "alg3.txt"), "--backend", "reference",
                 "--only", "byzantine", "--timeout", "0.5")
    assert proc.returncode == 2
    assert "timed out after 0.5 s" in one_error_line(proc)
    assert time.monotonic() - t0 < 20


def test_interrupt_exits_130():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "rbtui.cli", "verify", str(EXAMPLES / "alg3.txt"),
                             "--backend", "reference", "--only", "byzantine"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err


# ---- other commands ----------------------------------------------------------------

def test_show_candidate_formats(files):
    proc = run_cli("show-candidate", files["alg3"])
    assert proc.returncode == 0
    assert proc.stdout.startswith("broadcast: send_all type0\nreceive: send_all type1 if type0 from 1;")
    proc = run_cli("show-candidate", files["alg3"], "--format", "json")
    assert json.loads(proc.stdout)["receive"][1] == ["deliver", None, 1, "(N+F)/2"]
    proc = run_cli("show-candidate", files["alg3"], "--format", "pseudo")
    assert "DELIVER(<m>) if received (<type1, m>) from (N+F)/2 distinct parties" in proc.stdout
    proc = run_cli("show-candidate", files["alg3"], "--format", "latex")
    assert proc.stdout.splitlines()[1] == r"\begin{algorithm}"
    assert "algpseudocode" in proc.stdout.splitlines()[0]
    proc = run_cli("show-candidate", files["alg3"], "--format", "metrics")
    assert "N^2 + N" in proc.stdout
    proc = run_cli("show-candidate", str(EXAMPLES / "fig3.txt"), "--format", "metrics", "--json",
                 "--n", "7")
    d = json.loads(proc.stdout)
    assert (d["messages"], d["messages_n"], d["f"], d["to_deliver_n"]) == ("N^2 - 1", 48, 2, 3)
    proc = run_cli("show-candidate", files["token"])
    assert proc.returncode == 2 and "unknown threshold token" in one_error_line(proc)


def _has_promela() -> bool:
    try:
        spin = importlib.import_module("rbengine.oracle.spin")
    except ImportError:
        return False
    return hasattr(spin, "promela")


def test_promela_scenario_errors_are_one_line(files):
    proc = run_cli("promela", files["alg3"], "--only", "none", "--scenario", "broadcaster-faulty")
    assert proc.returncode == 2
    assert "no broadcaster-faulty scenario" in one_error_line(proc)
    assert run_cli("promela", files["alg3"]).returncode == 2  # --only is required


@pytest.mark.skipif(not _has_promela(), reason="rbengine.oracle.spin has no promela() yet")
def test_promela_prints_a_model(files, tmp_path):
    proc = run_cli("promela", files["alg3"], "--only", "crash", "--scenario", "broadcaster-faulty")
    assert proc.returncode == 0, proc.stderr
    assert "init" in proc.stdout or "proctype" in proc.stdout
    if shutil.which("spin"):  # Spin accepts the model
        (tmp_path / "model.pml").write_text(proc.stdout)
        spin = subprocess.run(["spin", "-a", "model.pml"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
        assert spin.returncode == 0 and (tmp_path / "pan.c").exists(), spin.stdout + spin.stderr
    proc = run_cli("promela", files["alg3"], "--only", "byzantine", "--attacker", "same-value",
                 "--n", "4")
    assert proc.returncode == 0, proc.stderr


def test_help_lists_the_commands():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for name in ("verify", "promela", "show-candidate"):
        assert name in proc.stdout


# ---- in-process: command list, store argument, app launch ------------------------------

def test_every_command_module_is_listed():
    """A command module that is not in cli.COMMANDS would be silently missing."""
    found = {m.name for m in pkgutil.iter_modules(rbtui.commands.__path__)
             if not m.name.startswith("_")}
    assert found == set(cli.COMMANDS)
    parser = cli.build_parser()
    for name in cli.COMMANDS:
        assert name.replace("_", "-") in parser.commands


@pytest.mark.parametrize("argv,rest,store", [
    ([], [], None),
    (["store.sqlite"], [], "store.sqlite"),
    (["--db", "x.sqlite"], ["--db", "x.sqlite"], None),
    (["verify", "a.json"], ["verify", "a.json"], None),
    (["verify"], ["verify"], None),
    (["typo"], ["typo"], None),
    (["runs/store.db"], [], "runs/store.db"),
])
def test_store_argument(argv, rest, store):
    commands = cli.build_parser().commands
    assert cli._store_argument(argv, commands) == (rest, store)


def test_make_app_passes_the_store():
    class ByKeyword:
        def __init__(self, db=None):
            self.db = db

    class ByOtherName:
        def __init__(self, store_path=None):
            self.db = store_path

    class Positional:
        def __init__(self, where=None):
            self.db = where

    for cls in (ByKeyword, ByOtherName, Positional):
        assert cli._make_app(cls, "s.sqlite").db == "s.sqlite"
        assert cli._make_app(cls, None).db is None


def test_missing_app_is_one_line_exit_2(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "rbtui.app", None)  # import fails
    assert cli.main(["--db", "nothing.sqlite"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("rbtui: error: ")


def test_main_returns_codes_in_process(capsys):
    assert cli.main(["--version"]) == 0
    assert cli.main(["show-candidate", str(EXAMPLES / "alg1.txt")]) == 0
    assert capsys.readouterr().out.endswith("broadcast: send_all type0\nreceive: deliver\n")
    assert cli.main(["verify", str(EXAMPLES / "missing.txt")]) == 2


def test_colour_only_on_a_terminal(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert Style(Tty()).good("correct") == "\x1b[1;32mcorrect\x1b[0m"
    assert Style(io.StringIO()).good("correct") == "correct"
    monkeypatch.setenv("NO_COLOR", "1")
    assert Style(Tty()).bad("x") == "x"
