"""Backend ``spin``: the reduced transition systems of docs/oracle.md in PROMELA,
checked by Spin's compiled verifier ``pan``.

One ``pan`` is compiled per setting (variant, mode, N, F, types) and cached on
disk; the candidate, the scenario and the properties to assert are read by the
model at run time from the environment variable ``RB_TABLE``, so checking a
candidate costs one run of a compiled verifier, not a Spin and gcc run.

Templates (rbengine/oracle/templates):
  single.pml.j2  none, crash and Byzantine same-value: greedy receipts of
                 correct messages; lazy batches of faulty sends; forgetting
  full.pml.j2    Byzantine full: lazy batch receipts, forgetting, safe
                 receipts, symmetry, first of equals
  common.pml.j2  the candidate's table and how it is loaded

A violation is replayed with the same ``pan`` (``pan -r``: ``spin -t`` would not
run the model's c_code that loads the table); the model prints one ``EV`` line
per move, and ``semantics.concretize`` turns the moves into a counterexample
checked step by step on the concrete model.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from .. import threshold as thr
from ..action import DELIVER, SEND_ALL, SEND_MYSELF, SEND_NEIGHBOURS, Action
from ..candidate import Candidate
from ..counterexample import Counterexample, Step
from ..errors import OracleError
from ..notation import format_action
from ..scenario import Scenario
from . import semantics
from .backend import ScenarioResult
from .semantics import PROPERTIES, possible

if TYPE_CHECKING:
    from collections.abc import Callable

    import jinja2

TEMPLATES = Path(__file__).with_name("templates")
TABLE_ENV = "RB_TABLE"
CACHE_ENV = "RBTUI_CACHE_DIR"
DEFAULT_TIMEOUT = 600.0  # seconds, per scenario
DEFAULT_MEMORY = 4096  # MB, pan's -DMEMLIM
COMPILE_TIMEOUT = 600.0  # seconds for spin -a, and again for gcc
HASH_BITS = 14  # pan -w; the table grows by itself (-DAUTO_RESIZE); large -w costs startup time
#: -DFREQ: how often pan considers growing its hash table (AUTO_RESIZE)
CFLAGS = ("-DSAFETY", "-DNOREDUCE", "-DNOCOMP", "-DAUTO_RESIZE", "-DFREQ=16384",
          "-DVECTORSZ=4096")
#: the single-value models are small: compiling fast matters more than running fast
OPTIMIZE = {"single": "-O1", "full": "-O2"}
#: the verifier that shortens a trail (pan -i): it revisits a state reached by a
#: shorter path, which the verdict's search need not pay for
SHORTEST_CFLAGS = ("-DREACH",)
MODEL = "model.pml"
MAX_TYPES = 15  # an effect has 1 + 2 bits per type in a 32-bit int
_MASK = {"validity": 1, "agreement": 2, "integrity": 4}
_INSTALL = {"spin": "apt-get install spin", "gcc": "apt-get install gcc"}

# ---------------------------------------------------------------------------
# The candidate as a table of effects (see common.pml.j2)


def _effect(a: Action) -> int:
    """Bits of one action's effect: 1 deliver; per type s, 2<<2s itself, 4<<2s the others."""
    if a.logic == DELIVER:
        return 1
    shift = 1 + 2 * cast(int, a.send_type)  # a send action has a message type
    if a.logic == SEND_ALL:
        return 3 << shift
    if a.logic == SEND_NEIGHBOURS:
        return 2 << shift
    assert a.logic == SEND_MYSELF
    return 1 << shift


@dataclass
class Table:
    ntypes: int
    origin: int
    faulty: int
    props: int
    effb: int
    eff0: int
    eff: list[int]  # T*(N+1) ints: [t][0] origin on t, [t][c] c senders of t
    effb_text: str = ""
    eff0_text: str = ""
    texts: dict[int, str] | None = None  # index -> comment

    def encode(self) -> str:
        vals = [self.ntypes, self.origin, self.faulty, self.props, self.effb, self.eff0, *self.eff]
        return ",".join(str(v) for v in [len(vals), *vals])


def slot(action: Action, n: int, f: int) -> int | None:
    """The index in ``eff`` of a receive action with a threshold (None: it can
    never fire, more distinct senders than processes); its effect is or-ed there."""
    if action.threshold == thr.ORIGIN:
        return action.cond_type * (n + 1)
    need = thr.value(action.threshold, n, f)
    if need > n:
        return None
    return action.cond_type * (n + 1) + need


def table(candidate: Candidate, scenario: Scenario, ntypes: int, t: int,
          props: int = 7) -> Table:
    """The candidate and the scenario as the model reads them (t types compiled)."""
    n, f = scenario.n, scenario.f
    eff = [0] * (t * (n + 1))
    texts: dict[int, list[str]] = {}
    effb, eff0 = 0, 0
    btext, ztext = [], []
    for a in candidate.broadcast:
        if a.threshold == "0":  # only the tautology holds when the broadcast handler runs
            effb |= _effect(a)
            btext.append(format_action(a))
    for a in candidate.receive:
        if a.threshold == "0":
            eff0 |= _effect(a)
            ztext.append(format_action(a))
            continue
        i = slot(a, n, f)
        if i is None:  # more distinct senders than processes: never fires
            continue
        eff[i] |= _effect(a)
        texts.setdefault(i, []).append(format_action(a))
    faulty = sum(1 << p for p in scenario.faulty)
    return Table(ntypes, int(candidate.uses_origin()), faulty, props, effb, eff0, eff,
                 "; ".join(btext), "; ".join(ztext),
                 {i: "; ".join(v) for i, v in texts.items()})


# ---------------------------------------------------------------------------
# Rendering


def _variant(scenario: Scenario) -> str:
    if scenario.mode == "byzantine" and scenario.attacker == "full":
        return "full"
    return "single"


@lru_cache(maxsize=1)
def _jinja() -> jinja2.Environment:
    import jinja2
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def _render(mode: str, variant: str, n: int, f: int, t: int, padded: bool = True,
            **baked: Any) -> str:
    """padded: steps padded for pan -i (docs/oracle.md); the verdict's search
    does without (same states, fewer transitions)."""
    return _jinja().get_template(f"{variant}.pml.j2").render(
        mode=mode, n=n, f=f, t=t, padded=padded, baked=bool(baked), **baked)


def promela(candidate: Candidate, scenario: Scenario, types: int | None = None) -> str:
    """A standalone model of one scenario, the candidate's table written in
    PROMELA (no c_code): spin -a m.pml; gcc -O2 -DSAFETY -o pan pan.c; ./pan"""
    ntypes = _types(candidate, types)
    tab = table(candidate, scenario, ntypes, ntypes)
    n = scenario.n
    assert tab.texts is not None  # table() always gives the comments
    eff = []
    for i, v in enumerate(tab.eff):
        if v:
            t, c = divmod(i, n + 1)
            cond = f"type{t} from origin" if c == 0 else \
                f"type{t} from {c} sender{'s' if c > 1 else ''}"
            eff.append((i, v, f"{cond}: {tab.texts[i]}"))
    table_ctx = {"ntypes": tab.ntypes, "origin": tab.origin, "faulty": tab.faulty,
                 "props": tab.props, "effb": tab.effb, "eff0": tab.eff0,
                 "effb_text": tab.effb_text and f"broadcast: {tab.effb_text}",
                 "eff0_text": tab.eff0_text and f"first receipt: {tab.eff0_text}",
                 "eff": eff}
    meta = json.dumps({"candidate": candidate.to_json(), "mode": scenario.mode, "n": n,
                       "f": scenario.f, "scenario": scenario.name,
                       "attacker": scenario.attacker, "types": ntypes},
                      separators=(",", ":"), sort_keys=True)
    return _render(scenario.mode, _variant(scenario), n, scenario.f, ntypes,
                   table=table_ctx, notation=candidate.notation().splitlines(),
                   scenario_label=scenario.label(), meta=meta,
                   faulty_text=", ".join(f"p{p}" for p in scenario.faulty) or "none")


#: the code a concrete step's kind runs in a standalone model, first match
#: (the actions it fires are found in the table, see step_lines)
_ANCHORS = {
    "broadcast": ("fire(0, 0, effb)", "fire(0, effb)"),
    "receive": ("inline absorb(", "inline batch("),
    "emit": ('printf("EV emit',),
    "crash": ("No crash move", "crash"),
    "byzantine": ("a Byzantine process sends", "inline batch("),
}


def step_lines(model: str, candidate: Candidate, scenario: Scenario, step: Step) -> list[int]:
    """The lines (1-based) of a standalone model (promela()) that a concrete
    counterexample step executes: the table entries of the actions it fires
    (``effb`` for RB-Broadcast, ``eff0`` for the first receipt's actions with
    no threshold, ``eff[slot]`` for the others, the slot being the one
    table() fills), then the code of its kind. The first is the one to show."""
    lines = model.splitlines()

    def first(prefix: str) -> int | None:
        return next((k + 1 for k, text in enumerate(lines) if text.strip().startswith(prefix)),
                    None)

    found: list[int] = []
    handler = candidate.broadcast if step.kind == "broadcast" else candidate.receive
    for text in step.fired:
        action = next((a for a in handler if format_action(a) == text), None)
        if action is None:
            continue
        if step.kind == "broadcast":
            k = first("effb = ")
        elif action.threshold == "0":
            k = first("eff0 = ")
        else:
            i = slot(action, scenario.n, scenario.f)
            k = first(f"eff[{i}] = ") if i is not None else None
        if k is not None and k not in found:
            found.append(k)
    for anchor in _ANCHORS.get(step.kind, ()):
        k = next((k + 1 for k, text in enumerate(lines) if anchor in text), None)
        if k is not None:
            found.append(k)
            break
    return found


# ---------------------------------------------------------------------------
# A trail of plain Spin on a standalone model

_FAILED = re.compile(r"failed assertion: assert\(!\((validity|agreement|integrity)\)\)")
META = re.compile(r"^ \* rbtui-model: (\{.*\})$", re.M)


def model_setting(text: str) -> tuple[Candidate, Scenario, int]:
    """The candidate, scenario and types a standalone model was exported for
    (its rbtui-model line); OracleError if it is not such a model, or has been
    edited since (it must be exactly what promela() writes for them)."""
    from ..errors import CandidateError
    from ..scenario import scenarios
    m = META.search(text)
    if m is None:
        raise OracleError("not a model exported by `rbtui promela` (no rbtui-model line)")
    try:
        d = json.loads(m.group(1))
        cand = Candidate.from_json(d["candidate"])
        sc = next(s for s in scenarios(d["mode"], d["n"], d["f"], d["attacker"] or "full")
                  if s.name == d["scenario"])
        types = int(d["types"])
    except (ValueError, KeyError, TypeError, StopIteration, CandidateError):
        raise OracleError("the model's rbtui-model line is unreadable") from None
    if promela(cand, sc, types) != text:
        raise OracleError("the model does not match its rbtui-model line: edited, or "
                          "exported by another version (export it again)")
    return cand, sc, types


def from_trail(model: str | Path, trail: str | Path | None = None,
               timeout: float = 120.0) -> Counterexample:
    """The concrete counterexample of a trail that plain Spin (pan) wrote for a
    standalone model: replayed by `spin -t`, then concretized and checked on
    the concrete model like every counterexample of the backend."""
    model = Path(model)
    trail = Path(trail) if trail is not None else model.with_name(model.name + ".trail")
    try:
        text = model.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise OracleError(f"cannot read the model {model}: {getattr(exc, 'strerror', None) or exc}") from None
    cand, sc, types = model_setting(text)
    try:
        trail_text = trail.read_bytes()
    except OSError as exc:
        raise OracleError(f"cannot read the trail {trail}: {exc.strerror or exc} (pan writes "
                          f"{model.name}.trail when it finds a violation)") from None
    spin = _tool("spin")
    with tempfile.TemporaryDirectory(prefix="rbtui-trail-") as tmp:
        (Path(tmp) / MODEL).write_text(text)
        (Path(tmp) / f"{MODEL}.trail").write_bytes(trail_text)
        try:
            r = subprocess.run([spin, "-T", "-t", MODEL], cwd=tmp, capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise OracleError(f"spin -t took more than {timeout:g}s on the trail") from None
    out = r.stdout + r.stderr
    v = _FAILED.search(out)
    if "EV " not in out or v is None:
        raise OracleError(f"the trail {trail} does not replay to a property violation on "
                          f"this model: " + _first_line(out, f"exit code {r.returncode}"))
    prop = v.group(1)
    try:
        moves, delivered = _parse_moves(out)
    except (ValueError, IndexError):
        raise OracleError(f"unreadable replay of the trail {trail}") from None
    if len(delivered) != sc.n or semantics.violated(sc, delivered) != prop:
        raise OracleError(f"the trail {trail} does not end violating {prop} on this model")
    try:
        return semantics.concretize(cand, sc, [*moves, ("finish",)], prop, types=types)
    except ValueError as exc:
        raise OracleError(f"the trail {trail} does not replay on the concrete model: {exc}") from None


# ---------------------------------------------------------------------------
# Tools and the cache of compiled verifiers


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        what = "Spin" if name == "spin" else "the C compiler gcc (needed by Spin)"
        raise OracleError(f"the spin backend needs {what}, but `{name}` is not on PATH: "
                          f"install it with `{_INSTALL[name]}` (or use --backend builtin)")
    return path


def cache_root() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_cache_dir("rbtui"))


@cache
def _spin_version(spin: str) -> str:
    try:
        out = subprocess.run([spin, "-V"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OracleError(f"cannot run {spin}: {exc}") from None
    return out.stdout.strip()


@cache
def _key(variant: str, mode: str, n: int, f: int, t: int, memory: int, spin: str,
         shortest: bool = False) -> str:
    """The cache key: the setting, and a digest of everything the verifier is built from."""
    h = hashlib.sha256()
    for name in ("common.pml.j2", f"{variant}.pml.j2"):
        h.update((TEMPLATES / name).read_bytes())
    h.update(repr((OPTIMIZE[variant], _cflags(shortest), memory, _spin_version(spin))).encode())
    kind = "-shortest" if shortest else ""
    return f"{variant}-{mode}-n{n}-f{f}-t{t}{kind}-{h.hexdigest()[:12]}"


def _cflags(shortest: bool) -> tuple[str, ...]:
    return CFLAGS + SHORTEST_CFLAGS if shortest else CFLAGS


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_known: dict[str, Path] = {}
#: Compilations done by this process (tests check that the cache is reused).
compilations = 0


def _first_line(text: str, default: str) -> str:
    """The most telling line of a tool's output: its first error or pan: message."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in lines:
        if "error:" in line.lower() or line.startswith("pan:"):
            return line
    for line in lines:
        if "error" in line.lower():
            return line
    return lines[0] if lines else default


def _compile(dest: Path, source: str, opt: str, spin: str, gcc: str, memory: int,
             timeout: float, cflags: tuple[str, ...] = CFLAGS) -> None:
    global compilations
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=dest.parent))
    try:
        (tmp / MODEL).write_text(source)
        try:
            r = subprocess.run([spin, "-a", MODEL], cwd=tmp, capture_output=True, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise OracleError(f"spin -a took more than {timeout:.0f}s") from None
        if r.returncode != 0 or not (tmp / "pan.c").exists():
            raise OracleError("spin -a failed on the generated model: "
                              + _first_line(r.stdout + r.stderr, f"exit code {r.returncode}"))
        try:
            r = subprocess.run([gcc, opt, *cflags, f"-DMEMLIM={memory}", "-o", "pan", "pan.c"],
                               cwd=tmp, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise OracleError(f"gcc took more than {timeout:.0f}s to compile the Spin model") from None
        if r.returncode != 0 or not (tmp / "pan").exists():
            raise OracleError("gcc failed to compile the Spin model: "
                              + _first_line(r.stderr + r.stdout, f"exit code {r.returncode}"))
        with _locks_guard:
            compilations += 1
        for name in ("pan.b", "pan.c", "pan.h", "pan.m", "pan.p", "pan.t"):
            (tmp / name).unlink(missing_ok=True)  # keep the model and the verifier
        try:
            os.rename(tmp, dest)  # atomic: readers see a complete directory or none
        except OSError:
            if not (dest / "pan").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def binary(scenario: Scenario, t: int, memory: int = DEFAULT_MEMORY,
           timeout: float = COMPILE_TIMEOUT, shortest: bool = False) -> Path:
    """The compiled verifier for the scenario's setting with t types (compiled once);
    shortest: the one that shortens trails (compiled when first needed)."""
    spin, gcc = _tool("spin"), _tool("gcc")
    variant = _variant(scenario)
    key = _key(variant, scenario.mode, scenario.n, scenario.f, t, memory, spin, shortest)
    dest = cache_root() / "pan" / key
    pan = _known.get(str(dest))
    if pan is not None and pan.exists():
        return pan
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        if not (dest / "pan").exists():
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                with _file_lock(dest.parent / f"{key}.lock"):
                    if not (dest / "pan").exists():
                        source = _render(scenario.mode, variant, scenario.n, scenario.f, t,
                                         padded=shortest)
                        _compile(dest, source, OPTIMIZE[variant], spin, gcc, memory, timeout,
                                 _cflags(shortest))
            except OSError as exc:
                raise OracleError(f"cannot build the Spin verifier in {dest.parent}: "
                                  f"{exc.strerror or exc} (set {CACHE_ENV} to a writable "
                                  "directory)") from None
    _known[str(dest)] = dest / "pan"
    return dest / "pan"


class _file_lock:
    """An exclusive lock between processes (no-op where fcntl is missing)."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def __enter__(self) -> _file_lock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return self
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        if self.fd is not None:
            import fcntl
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
        return False


# ---------------------------------------------------------------------------
# Running pan

_STATES = re.compile(r"^\s*([0-9.e+]+) states, stored", re.M)
_ERRORS = re.compile(r"errors: (\d+)")
_VIOLATED = re.compile(r"assertion violated\s+!\((validity|agreement|integrity)\)")


POLL = 0.1  # seconds between two looks at `cancel` while pan runs


def _run(args: list[str], cwd: Path, env: dict[str, str], deadline: float, timeout: float,
         what: str, cancel: Callable[[], bool] | None = None) -> str:
    """Run pan to completion; a timeout or a cancellation kills it (OracleError)."""
    try:
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    except OSError as exc:
        raise OracleError(f"cannot run the Spin verifier {args[0]}: {exc.strerror or exc}") from None
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OracleError(f"Spin timed out after {timeout:g}s ({what})")
            if cancel is not None and cancel():
                raise OracleError("verification cancelled")
            try:
                out, _ = proc.communicate(timeout=min(left, POLL) if cancel else left)
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if "out of memory" in out or "MEMLIM bound" in out:
        raise OracleError(f"Spin ran out of memory ({what}); the limit is set by the "
                          "backend option memory= (MB)")
    if "max search depth too small" in out:
        raise OracleError(f"Spin's search depth is too small ({what}); raise the backend "
                          "option depth=")
    if "RB_TABLE" in out:
        raise OracleError("the Spin verifier rejected the candidate table: " + _first_line(out, ""))
    if proc.returncode != 0:
        raise OracleError(f"the Spin verifier failed with exit code {proc.returncode} ({what}): "
                          + _first_line(out, "no output"))
    return out


def _depth(n: int, t: int) -> int:
    """pan -m: above the longest path. A concrete execution has at most one
    receipt per (sender, receiver, type, value) and two steps per Byzantine
    send (at most n per receiver, type and value), pending sends and crashes
    fewer; the models take at most 5 pan transitions per concrete step."""
    return max(1000, 5 * (4 * n * n * t + 2 * n) + 100)


def _parse_moves(out: str) -> tuple[list[tuple[str | int, ...]], list[int | None]]:
    moves: list[tuple[str | int, ...]] = []
    delivered: dict[int, int | None] = {}
    for line in out.splitlines():
        if not line.startswith("EV "):
            continue
        f = line.split()
        kind = f[1]
        if kind == "batch":
            d, t, v, j, k, z = map(int, f[2:8])
            moves.append(("batch", d, t, v, j, k, bool(z)))
        elif kind in ("emit", "recv"):
            moves.append((kind, *map(int, f[2:6])))
        elif kind == "crash":
            moves.append(("crash", int(f[2])))
        elif kind == "delivered":
            p, d = int(f[2]), int(f[3])
            delivered[p] = None if d == 0 else d - 1
    return moves, [delivered.get(p) for p in range(len(delivered))]


def _types(candidate: Candidate, types: int | None) -> int:
    """Types modelled, as semantics.Model counts them (a Byzantine process may
    forge type1 even when the candidate uses type0 only)."""
    ntypes = max(types or 2, candidate.types())
    if ntypes > MAX_TYPES:
        raise OracleError(f"the spin backend models at most {MAX_TYPES} message types "
                          f"(got {ntypes})")
    return ntypes


def _shorten(pan: Path, candidate: Candidate, scenario: Scenario, ntypes: int, t: int,
             prop: str, depth: int, work: Path, deadline: float, timeout: float,
             cancel: Callable[[], bool] | None) -> tuple[Path, dict[str, str]]:
    """A shortest trail violating prop: pan -i lowers its depth bound past each
    violation it finds and keeps searching; the last trail written is the
    shortest (the models pad every step to a fixed number of transitions per
    concrete step)."""
    env = dict(os.environ)
    env[TABLE_ENV] = table(candidate, scenario, ntypes, t, _MASK[prop]).encode()
    out = _run([str(pan), "-i", f"-m{depth}", f"-w{HASH_BITS}"], work, env, deadline, timeout,
               f"shortest counterexample, {scenario.label()}", cancel)
    trail = work / f"{MODEL}.trail"
    v = _VIOLATED.search(out)
    if v is None or v.group(1) != prop or not trail.exists():
        raise OracleError(f"the Spin verifier found no shortest {prop} trail "
                          f"({scenario.label()}): a bug in rbengine.oracle.spin")
    return trail.rename(work / f"{prop}-shortest.trail"), env


def check(candidate: Candidate, scenario: Scenario, types: int | None = None,
          timeout: float | None = DEFAULT_TIMEOUT, memory: int = DEFAULT_MEMORY,
          depth: int | None = None, cancel: Callable[[], bool] | None = None,
          shortest: bool = True, **_options: object) -> ScenarioResult:
    """(highest-priority violated property or None, states stored, Counterexample or None).

    timeout: seconds for the scenario's search (None: DEFAULT_TIMEOUT); compiling a
    verifier the first time a setting is checked is not counted;
    memory: MB for pan (part of the verifier's cache key); depth: pan's -m;
    cancel: a callable polled while pan runs, True abandons the check;
    shortest: the counterexample is a shortest one (docs/oracle.md), found by a
    second search (pan -i) once the verdict is known; states counts the
    verdict's searches only.
    """
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    ntypes = _types(candidate, types)
    t = ntypes
    pan = binary(scenario, t, memory)  # compiled once, not counted in the time limit
    deadline = time.monotonic() + timeout
    depth = depth or _depth(scenario.n, t)
    states = 0
    mask = 7
    # (property, trail, environment of the run that wrote it)
    found: tuple[str, Path, dict[str, str]] | None = None
    work = Path(tempfile.mkdtemp(prefix="rbtui-spin-"))
    try:
        while True:
            env = dict(os.environ)
            env[TABLE_ENV] = table(candidate, scenario, ntypes, t, mask).encode()
            out = _run([str(pan), f"-m{depth}", f"-w{HASH_BITS}"], work, env, deadline, timeout,
                       scenario.label(), cancel)
            m = _STATES.search(out)
            e = _ERRORS.search(out)
            if m is None or e is None:
                raise OracleError("unexpected output from the Spin verifier: "
                                  + _first_line(out, "(nothing)"))
            states += int(float(m.group(1)))
            if int(e.group(1)) == 0:
                break
            v = _VIOLATED.search(out)
            trail = work / f"{MODEL}.trail"
            if v is None or not trail.exists():
                raise OracleError("the Spin verifier reported an error that is not a property "
                                  f"violation ({scenario.label()}): " + _first_line(out, ""))
            prop = v.group(1)
            found = (prop, trail.rename(work / f"{prop}.trail"), env)
            rank = PROPERTIES.index(prop)
            higher = [p for p in PROPERTIES[:rank] if p in possible(scenario)]
            if not higher:
                break
            mask = sum(_MASK[p] for p in higher)  # only higher priorities left
        if found is None:
            return ScenarioResult(None, states, None)
        prop, trail, env = found
        if shortest:
            t0 = time.monotonic()
            pan = binary(scenario, t, memory, shortest=True)
            deadline += time.monotonic() - t0  # compiling is not counted
            trail, env = _shorten(pan, candidate, scenario, ntypes, t, prop, depth, work,
                                  deadline, timeout, cancel)
        replay = _run([str(pan), "-S", f"-m{depth}", "-w10", "-r", trail.name], work, env,
                      deadline, timeout, f"replay, {scenario.label()}", cancel)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    try:
        moves, delivered = _parse_moves(replay)
    except (ValueError, IndexError):
        raise OracleError("unreadable replay from the Spin verifier: a bug in "
                          "rbengine.oracle.spin") from None
    if len(delivered) != scenario.n or semantics.violated(scenario, delivered) != prop:
        raise OracleError(f"the replayed Spin trail does not end violating {prop} "
                          f"({scenario.label()}): a bug in rbengine.oracle.spin")
    try:
        cx = semantics.concretize(candidate, scenario, [*moves, ("finish",)], prop, types=ntypes)
    except ValueError as exc:
        raise OracleError(f"a Spin counterexample does not replay on the concrete model "
                          f"({scenario.label()}): {exc}; a bug in rbengine.oracle.spin") from None
    return ScenarioResult(prop, states, cx if shortest else replace(cx, shortest=False))


class SpinBackend:
    """The paper's oracle: PROMELA from the templates, compiled by Spin and gcc
    into a verifier per setting (cached), run as a subprocess."""

    name = "spin"
    description = "the Spin model checker (PROMELA from templates, compiled with gcc)"

    def unavailable(self) -> str | None:
        for tool in ("spin", "gcc"):
            try:
                _tool(tool)
            except OracleError as exc:
                return str(exc)
        return None

    def check(self, candidate: Candidate, scenario: Scenario, *, types: int | None = None,
              cancel: Callable[[], bool] | None = None, timeout: float | None = None,
              **options: Any) -> ScenarioResult:
        return check(candidate, scenario, types=types, cancel=cancel, timeout=timeout,
                     **options)


BACKEND = SpinBackend()
