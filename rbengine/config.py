"""What a learning run needs to know before it starts (the paper's Table 1 and Table 6).

A RunConfig is stored with every run, so a run can be resumed, repeated from its
seed and compared with another; defaults are the paper's values. A user writes
a JSON or TOML file with any subset of the fields (``rbtui run --config FILE``)
and command-line flags override the file.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from . import threshold as thr
from . import vocabulary as vocab_mod
from .action import DELIVER, LOGICS, SEND_ALL, SEND_MYSELF, SEND_NEIGHBOURS, SENDS, STOP
from .errors import CandidateError, RbError
from .scenario import ATTACKERS, MODES, PAPER_N, default_f

if TYPE_CHECKING:
    from .size import Size


class ConfigError(RbError):
    """A run configuration that cannot be used (bad value, unknown key, unreadable file)."""


HANDLERS = ("broadcast", "receive")
HEURISTICS = tuple(f"GH{i}" for i in range(1, 11))


# ---------------------------------------------------------------- rewards --
@dataclass(frozen=True)
class Rewards:
    """The paper's Table 3 and §4.3: runtime rewards per choice, bonus per verdict.

    A choice costs logic + threshold + handler + new type. STOP costs nothing in
    either handler: it executes nothing (Table 3 gives it 0), and every candidate
    has exactly one STOP per handler, so charging it would not change which
    candidate is preferred. A SEND that introduces type k (k = 0, 1, ...) costs
    ``new_type * k`` more: type0 is free, type1 costs -1, type2 -2.
    """

    logic: dict[str, float] = field(default_factory=lambda: {
        SEND_MYSELF: -1.0, SEND_NEIGHBOURS: -2.0, SEND_ALL: -3.0, DELIVER: -1.0, STOP: 0.0})
    threshold: dict[str, float] = field(default_factory=lambda: {
        "0": 0.0, "1": -1.0, "F+1": -2.0, "(N+F)/2": -3.0, "N-F": -4.0,
        # extensions of the paper's vocabulary: origin waits for one message,
        # 2F+1 for as many as N-F at the smallest N of its mode.
        "2F+1": -4.0, "origin": -1.0})
    new_type: float = -1.0
    handler: dict[str, float] = field(default_factory=lambda: {"broadcast": 0.0, "receive": -1.0})
    correct: float = 100.0
    incorrect: float = -1.0

    def to_dict(self) -> dict[str, Any]:
        return {"logic": dict(self.logic), "threshold": dict(self.threshold),
                "new_type": self.new_type, "handler": dict(self.handler),
                "correct": self.correct, "incorrect": self.incorrect}

    @classmethod
    def from_dict(cls, d: object) -> "Rewards":
        base = cls()
        if not isinstance(d, dict):
            raise ConfigError("rewards must be a table/object")
        _no_unknown(d, ("logic", "threshold", "new_type", "handler", "correct", "incorrect"), "rewards")
        logic = dict(base.logic)
        for k, v in d.get("logic", {}).items():
            if k not in LOGICS:
                raise ConfigError(f"rewards.logic: unknown logic {k!r} (known: {', '.join(LOGICS)})")
            logic[k] = _num(v, f"rewards.logic.{k}")
        threshold = dict(base.threshold)
        for k, v in d.get("threshold", {}).items():
            try:
                tok = thr.normalize(k)
            except CandidateError as exc:
                raise ConfigError(f"rewards.threshold: {exc}") from None
            threshold[tok] = _num(v, f"rewards.threshold.{k}")
        handler = dict(base.handler)
        for k, v in d.get("handler", {}).items():
            if k not in HANDLERS:
                raise ConfigError(f"rewards.handler: unknown handler {k!r} (known: broadcast, receive)")
            handler[k] = _num(v, f"rewards.handler.{k}")
        return cls(logic, threshold,
                   _num(d.get("new_type", base.new_type), "rewards.new_type"), handler,
                   _num(d.get("correct", base.correct), "rewards.correct"),
                   _num(d.get("incorrect", base.incorrect), "rewards.incorrect"))


# ------------------------------------------------------------- heuristics --
@dataclass(frozen=True)
class HeuristicsConfig:
    """GH1..GH10 of the paper's Table 4, each switchable, with the paper's settings.

    on: the heuristics switched on. logics/tokens (GH2/GH3): per handler, the
    logics and threshold tokens allowed (None = all of the vocabulary).
    broadcast_types (GH5): the types RB-Broadcast may send. min/max_actions
    (GH6): actions per handler, STOP included. max_types (GH10). A maximum
    left None is the vocabulary's (rbengine.vocabulary: 4 and 2 for the
    paper's, 5 and 3 for sound); a run records the values it used.
    """

    on: frozenset[str] = frozenset(HEURISTICS)
    logics: dict[str, list[str]] = field(default_factory=lambda: {
        "broadcast": list(SENDS), "receive": list(SENDS) + [DELIVER]})
    tokens: dict[str, list[str] | None] = field(
        default_factory=lambda: {"broadcast": ["0"], "receive": None})
    broadcast_types: tuple[int, ...] = (0,)
    min_actions: int = 2
    max_actions: int | None = None
    max_types: int | None = None

    def enabled(self, gh: str) -> bool:
        return gh in self.on

    def resolved(self, vocab: vocab_mod.Vocabulary) -> "HeuristicsConfig":
        """The vocabulary's maxima where none is set."""
        if self.max_actions is not None and self.max_types is not None:
            return self
        return replace(self, max_actions=vocab.max_actions if self.max_actions is None
                       else self.max_actions,
                       max_types=vocab.max_types if self.max_types is None else self.max_types)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        d: dict[str, dict[str, Any]] = {gh: {"on": gh in self.on} for gh in HEURISTICS}
        d["GH2"].update({h: list(self.logics[h]) for h in HANDLERS})
        d["GH3"].update({h: None if self.tokens[h] is None
                         else list(cast("list[str]", self.tokens[h])) for h in HANDLERS})
        d["GH5"]["types"] = list(self.broadcast_types)
        d["GH6"].update({"min": self.min_actions, "max": self.max_actions})
        d["GH10"]["max_types"] = self.max_types
        return d

    @classmethod
    def from_dict(cls, d: object) -> "HeuristicsConfig":
        """Each GHk is true/false, or a table of its settings (``on`` defaults to true)."""
        if not isinstance(d, dict):
            raise ConfigError("heuristics must be a table/object")
        base = cls()
        on = set(base.on)
        logics = dict(base.logics)
        tokens = dict(base.tokens)
        btypes, mn, mx, mt = base.broadcast_types, base.min_actions, base.max_actions, base.max_types
        for key, val in d.items():
            gh = key.upper()
            if gh not in HEURISTICS:
                raise ConfigError(f"heuristics: unknown heuristic {key!r} (known: GH1..GH10)")
            if isinstance(val, bool):
                settings: dict[str, Any] = {"on": val}
            elif isinstance(val, dict):
                settings = dict(val)
            else:
                raise ConfigError(f"heuristics.{gh}: expected true/false or a table, got {val!r}")
            allowed = {"GH2": HANDLERS, "GH3": HANDLERS, "GH5": ("types",),
                       "GH6": ("min", "max"), "GH10": ("max_types",)}.get(gh, ())
            _no_unknown(settings, ("on",) + tuple(allowed), f"heuristics.{gh}")
            if not isinstance(settings.get("on", True), bool):
                raise ConfigError(f"heuristics.{gh}.on must be true or false")
            (on.add if settings.get("on", True) else on.discard)(gh)
            if gh == "GH2":
                for h in HANDLERS:
                    if h in settings:
                        where = f"heuristics.GH2.{h}"
                        logics[h] = [_logic(x, where) for x in _list(settings[h], where)]
            elif gh == "GH3":
                for h in HANDLERS:
                    if h in settings:
                        if settings[h] is None:
                            tokens[h] = None
                        else:
                            where = f"heuristics.GH3.{h}"
                            tokens[h] = [_token(x, where) for x in _list(settings[h], where)]
            elif gh == "GH5" and "types" in settings:
                where = "heuristics.GH5.types"
                btypes = tuple(_int(x, where, 0, 15) for x in _list(settings["types"], where))
            elif gh == "GH6":
                mn = _int(settings.get("min", mn), "heuristics.GH6.min", 1, 32)
                mx = settings.get("max", mx)  # None: the vocabulary's
                mx = None if mx is None else _int(mx, "heuristics.GH6.max", 1, 32)
            elif gh == "GH10" and "max_types" in settings:
                mt = settings["max_types"]
                mt = None if mt is None else _int(mt, "heuristics.GH10.max_types", 1, 8)
        if mx is not None and mn > mx:
            raise ConfigError(f"heuristics.GH6: min {mn} is greater than max {mx}")
        return cls(frozenset(on), logics, tokens, btypes, mn, mx, mt)


# -------------------------------------------------------------- run config --
@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run: with the same config (seed included)
    a run produces the same Q-table and result, interrupted or not."""

    target: str = "crash"
    n: int | None = None  # None: the paper's N for the target (3, 3, 4)
    f: int | None = None  # None: each mode's maximum for N
    # Several sizes instead of one (n, f): "4,7:2" (rbengine.size); a candidate
    # is correct only if it is correct at every size. Efficiency metrics are
    # computed at the smallest.
    sizes: str | None = None
    attacker: str = "full"
    vocabulary: str | dict[str, Any] = "paper"
    backend: str = "builtin"
    episodes: int = 12000
    seed: int | None = None  # None: drawn at start and recorded
    # The paper gives no alpha, gamma or c. A candidate's verdict never changes,
    # so alpha = 1 and gamma = 1 make Q(s, a) the best return still possible
    # below (s, a) as far as the run knows (optimistic: see rbengine.learner);
    # c = 10 is on the scale of the differences between correct candidates'
    # returns. Chosen with bench/experiments.py (docs/learner.md has the numbers).
    alpha: float = 1.0
    gamma: float = 1.0
    ucb_c: float = 10.0
    update_order: str = "backward"  # or "forward" (see rbengine.episode)
    optimistic: bool = True  # a pair never chosen is worth the most it can be (rbengine.learner)
    untried: str = "first"  # UCB on a pair never chosen: "first" (+inf), "initial" (its value)
    # or "guided" (first, in the order of rbengine.guide)
    guide_c: float = 0.2  # the guide's exploration constant (untried = "guided")
    descend: bool = False  # descend from each new best, repair near misses (rbengine.descent)
    rewards: Rewards = field(default_factory=Rewards)
    heuristics: HeuristicsConfig = field(default_factory=HeuristicsConfig)
    checkpoint_every: int = 1
    optimise: bool = True

    # ---- derived values ------------------------------------------------
    def size_list(self) -> list[Size]:
        """The sizes verified, cheapest first (one when `sizes` is not set)."""
        from .oracle import resolve_sizes
        try:
            return resolve_sizes(self.target, None, self.n if self.sizes is None else None,
                                 self.f if self.sizes is None else None, self.sizes)
        except RbError as exc:
            raise ConfigError(str(exc)) from None

    @property
    def n_value(self) -> int:
        """N of the (smallest) size: the one efficiency metrics are computed at."""
        if self.n is not None:
            return self.n
        if self.sizes is not None:
            return self.size_list()[0].n
        return PAPER_N[self.target]

    @property
    def f_value(self) -> int:
        """F of the target mode: the one efficiency metrics are computed at."""
        if self.f is not None:
            return self.f
        if self.sizes is not None and self.n is None:
            return self.size_list()[0].f_for(self.target)
        return default_f(self.target, self.n_value)

    def vocab(self) -> vocab_mod.Vocabulary:
        try:
            return vocab_mod.get(self.vocabulary)
        except CandidateError as exc:
            raise ConfigError(str(exc)) from None

    def oracle_settings(self) -> dict[str, Any]:
        """The arguments of rbengine.oracle.verify that decide a verdict."""
        if self.sizes is not None:
            return {"target": self.target, "sizes": self.sizes, "attacker": self.attacker}
        return {"target": self.target, "n": self.n_value, "f": self.f,
                "attacker": self.attacker}

    # ---- validation ----------------------------------------------------
    def validate(self) -> "RunConfig":
        if self.target not in MODES:
            raise ConfigError(f"unknown target {self.target!r} (known: {', '.join(MODES)})")
        if self.attacker not in ATTACKERS:
            raise ConfigError(f"unknown attacker {self.attacker!r} (known: {', '.join(ATTACKERS)})")
        from .oracle import BACKENDS, plan
        if self.backend not in BACKENDS:
            raise ConfigError(f"unknown backend {self.backend!r} (known: {', '.join(BACKENDS)})")
        if self.sizes is not None and (self.n is not None or self.f is not None):
            raise ConfigError("give sizes or n/f, not both")
        try:
            if self.sizes is not None:
                plan(self.target, None, None, None, self.attacker, sizes=self.sizes)
            else:
                plan(self.target, None, self.n_value, self.f, self.attacker)
        except RbError as exc:
            raise ConfigError(str(exc)) from None
        self.vocab()
        if self.episodes < 0:
            raise ConfigError("episodes must be 0 or more")
        if not 0 < self.alpha <= 1:
            raise ConfigError("alpha must be in (0, 1]")
        if not 0 <= self.gamma <= 1:
            raise ConfigError("gamma must be in [0, 1]")
        if self.ucb_c < 0:
            raise ConfigError("ucb_c must be 0 or more")
        if self.update_order not in ("backward", "forward"):
            raise ConfigError("update_order must be backward or forward")
        if self.untried not in ("first", "initial", "guided"):
            raise ConfigError("untried must be first, initial or guided")
        if self.guide_c < 0:
            raise ConfigError("guide_c must be 0 or more")
        if self.checkpoint_every < 1:
            raise ConfigError("checkpoint_every must be 1 or more")
        if self.seed is not None and not 0 <= self.seed < 2**63:
            raise ConfigError("seed must be in 0..2^63-1")
        return self

    # ---- (de)serialisation ---------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = {}
        for fl in fields(self):
            v = getattr(self, fl.name)
            if fl.name in ("rewards", "heuristics"):
                v = v.to_dict()
            d[fl.name] = v
        return d

    @classmethod
    def from_dict(cls, d: object) -> "RunConfig":
        if not isinstance(d, dict):
            raise ConfigError("a run configuration is a table/object")
        names = [fl.name for fl in fields(cls)]
        _no_unknown(d, names, "config")
        kw: dict[str, Any] = {}
        for k, v in d.items():
            if k == "rewards":
                kw[k] = Rewards.from_dict(v)
            elif k == "heuristics":
                kw[k] = HeuristicsConfig.from_dict(v)
            elif k in ("n", "f", "seed"):
                kw[k] = None if v is None else _int(v, k, 0, 2**63 - 1)
            elif k in ("episodes", "checkpoint_every"):
                kw[k] = _int(v, k, 0, 10**9)
            elif k in ("alpha", "gamma", "ucb_c", "guide_c"):
                kw[k] = _num(v, k)
            elif k in ("optimise", "optimistic", "descend"):
                if not isinstance(v, bool):
                    raise ConfigError(f"{k} must be true or false")
                kw[k] = v
            elif k == "sizes":
                kw[k] = None if v is None else _sizes(v)
            elif k == "vocabulary":
                if not isinstance(v, (str, dict)):
                    raise ConfigError("vocabulary is a preset name (paper, sound) or a table")
                kw[k] = v
            else:
                if not isinstance(v, str):
                    raise ConfigError(f"{k} must be a string, got {v!r}")
                kw[k] = v
        return cls(**kw).validate()

    @classmethod
    def load(cls, path: str | Path) -> "RunConfig":
        """A JSON (.json) or TOML (anything else) file with any subset of the fields."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {p}: {getattr(exc, 'strerror', None) or exc}") from None
        try:
            if p.suffix.lower() == ".json" or text.lstrip().startswith("{"):
                data = json.loads(text)
            else:
                data = _toml(p).loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{p}: malformed JSON at line {exc.lineno} column {exc.colno}: "
                              f"{exc.msg}") from None
        except ValueError as exc:  # TOMLDecodeError
            raise ConfigError(f"{p}: malformed TOML: {exc}") from None
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{p}: {exc}") from None

    def override(self, **kw: Any) -> "RunConfig":
        """Command-line flags: every value that is not None replaces the file's.
        Sizes replace the file's n and f, and n or f replace its sizes."""
        kw = {k: v for k, v in kw.items() if v is not None}
        if "sizes" in kw:
            kw["sizes"] = _sizes(kw["sizes"])
            kw.setdefault("n", None)
            kw.setdefault("f", None)
        elif "n" in kw or "f" in kw:
            kw["sizes"] = None
        return replace(self, **kw).validate()


# ---------------------------------------------------------------- helpers --
def _toml(path: Path) -> Any:
    """The TOML reader: the standard library's from Python 3.11 on, tomli
    (the same code, a declared dependency there) on Python 3.10. (Any: the
    type check targets Python 3.10, which has no tomllib, and tomli may not
    be installed where it runs.)"""
    try:
        import tomllib
        return tomllib
    except ImportError:
        pass
    try:
        import tomli
        return tomli
    except ImportError:
        raise ConfigError(f"{path}: reading TOML needs Python 3.11 or the tomli package "
                          "(pip install tomli), or write the configuration as JSON") from None


def _no_unknown(d: Collection[str], known: Collection[str], where: str) -> None:
    bad = sorted(set(d) - set(known))
    if bad:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(bad)} (known: {', '.join(known)})")


def _sizes(v: object) -> str:
    """The canonical text of sizes given as "4,7:2" or a list ([4, "7:2", [10, 3]])."""
    from . import size
    try:
        return size.text(size.parse(v))
    except RbError as exc:
        raise ConfigError(f"sizes: {exc}") from None


def _num(v: object, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(f"{what} must be a number, got {v!r}")
    return float(v)


def _int(v: object, what: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ConfigError(f"{what} must be an integer in {lo}..{hi}, got {v!r}")
    return v


def _list(v: object, what: str) -> list[Any]:
    if not isinstance(v, list):
        raise ConfigError(f"{what} must be a list, got {v!r}")
    return v


def _logic(v: object, what: str) -> str:
    from .action import normalize_logic
    try:
        return normalize_logic(v)
    except CandidateError as exc:
        raise ConfigError(f"{what}: {exc}") from None


def _token(v: object, what: str) -> str:
    try:
        return thr.normalize(v)
    except CandidateError as exc:
        raise ConfigError(f"{what}: {exc}") from None
