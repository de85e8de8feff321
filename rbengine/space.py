"""The search space: every candidate a configuration's heuristics allow, in the
project's one cost order.

"Cheapest" is one total order (rbengine.learner, ``Learner.rank``): the best
total runtime reward first, then rbengine.metrics.cost at the configuration's
N and F, then the vocabulary's order (the final state's key). A *level* is a
total reward: the cheapest correct candidate is in the first level holding a
correct one, so an exhaustive search verifies levels in that order and may
stop after the first level with a correct candidate.

GH9 aside (it only blocks what a learning run has verified), a candidate is
in the space when some order of choices allowed by the heuristics builds it:
the enumeration is the learner's own state graph, explored depth first, each
multiset once. Candidates are kept packed (the action indices of both
handlers in a few bytes), so a space of a million candidates fits in tens of
megabytes; a level is sorted only when it is asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from . import reward as rw
from .candidate import Candidate
from .config import RunConfig
from .heuristics import Heuristics
from .state import DONE, PHASES, RECEIVE, State, StateKey

if TYPE_CHECKING:
    from .action import Action
    from .learner import Rank


def space_config(config: RunConfig) -> RunConfig:
    """The configuration with GH9 off: what the space depends on."""
    h = config.heuristics
    return replace(config, heuristics=replace(h, on=h.on - {"GH9"}))


def identity(config: RunConfig) -> dict[str, Any]:
    """What decides a space and its verdicts, as JSON values: the scenarios
    checked (the verdict cache's key), the vocabulary, the heuristics but GH9
    and the rewards. Two configurations with the same identity have the same
    candidates, the same order and the same verdicts. Maxima left to the
    vocabulary count as the vocabulary's values, as a run records them."""
    from .search import make_cache
    heur = config.heuristics.resolved(config.vocab()).to_dict()
    heur.pop("GH9", None)
    return {"verification": make_cache(config).key, "vocabulary": config.vocab().to_json(),
            "heuristics": heur, "rewards": config.rewards.to_dict()}


def identity_key(config: RunConfig) -> str:
    text = json.dumps(identity(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Space:
    """The candidates of `config`'s space, grouped by total reward."""

    def __init__(self, config: RunConfig, _levels: dict[float, list[bytes]] | None = None):
        self.config = config.validate()
        self.heur = Heuristics(config.heuristics, config.vocab())
        self.actions = self.heur.actions
        self.stop = self.heur.stop
        self.index = {a: i for i, a in enumerate(self.actions)}
        self._wide = len(self.actions) > 255
        self._levels: dict[float, list[bytes]] = {}
        self._props = [_props(a, self.config.n_value, self.config.f_value) for a in self.actions]
        if _levels is None:
            self._enumerate()
        else:
            self._levels = _levels

    @classmethod
    def of(cls, config: RunConfig) -> "Space":
        """The space of `config`; a large one is kept on disk once enumerated
        (the space cache: a file per space identity and enumeration code), so
        a resumed search of millions of candidates starts in seconds, not
        minutes. A missing, stale or damaged file is enumerated again."""
        path = _cache_path(config)
        if path is not None:
            levels = _read_levels(path)
            if levels is not None:
                return cls(config, _levels=levels)
        space = cls(config)
        if path is not None and len(space) >= CACHE_FROM:
            _write_levels(path, space._levels)
        return space

    # ---- enumeration -----------------------------------------------------
    def _enumerate(self) -> None:
        heur, stop, acts, rewards = self.heur, self.stop, self.actions, self.config.rewards

        def step(s: State, a: int, acc: float, sent: frozenset[int]
                 ) -> tuple[State, float, frozenset[int]]:
            act = acts[a]
            r = rw.runtime(rewards, act, PHASES[s.phase], sent)
            return (s.add(a, stop), acc + r,
                    (sent | {cast(int, act.send_type)}) if act.is_send else sent)

        # RB-Broadcast handlers first, then the receive handlers of each: a
        # receive state never repeats under another broadcast handler, so the
        # memory of visited states is one broadcast handler's.
        heads: list[tuple[State, float, frozenset[int]]] = []
        seen: set[StateKey] = set()
        todo: list[tuple[State, float, frozenset[int]]] = [(State(), 0.0, frozenset())]
        while todo:
            s, acc, sent = todo.pop()
            if s.key in seen:
                continue
            seen.add(s.key)
            for a in heur.filter(s).allowed:
                item = step(s, a, acc, sent)
                (heads if item[0].phase == RECEIVE else todo).append(item)
        levels = self._levels
        for head in heads:
            seen = set()
            todo = [head]
            while todo:
                s, acc, sent = todo.pop()
                if s.key in seen:
                    continue
                seen.add(s.key)
                for a in heur.filter(s).allowed:
                    nxt, acc2, sent2 = step(s, a, acc, sent)
                    if nxt.phase == DONE:
                        levels.setdefault(acc2, []).append(self._pack(nxt))
                    else:
                        todo.append((nxt, acc2, sent2))

    def _pack(self, s: State) -> bytes:
        if self._wide:
            return b"".join(i.to_bytes(2, "big") for i in s.broadcast) + b"\xff\xff" + \
                b"".join(i.to_bytes(2, "big") for i in s.receive)
        return bytes(s.broadcast) + b"\xff" + bytes(s.receive)

    def unpack(self, packed: bytes) -> State:
        return unpack(packed, self._wide)

    # ---- the order -----------------------------------------------------------
    @property
    def rewards(self) -> list[float]:
        """The levels, cheapest first (the best total reward first)."""
        return sorted(self._levels, reverse=True)

    def counts(self) -> dict[float, int]:
        return {r: len(self._levels[r]) for r in self.rewards}

    def __len__(self) -> int:
        return sum(len(v) for v in self._levels.values())

    def candidate(self, state: State) -> Candidate:
        return state.candidate(self.actions)

    def rank(self, state: State, reward: float) -> Rank:
        """The candidate's place in the cost order (smaller is cheaper)."""
        return (-reward, *self.cost(state), state.key)

    def cost(self, state: State) -> tuple[int, int, int]:
        """rbengine.metrics.cost at the configuration's N and F, from the action
        indices (the level sorts are most of the work of the process that
        drives a search; tests check it equals metrics.cost on whole spaces)."""
        n = self.config.n_value
        props = self._props
        bd: dict[int, int] = {}
        rd: dict[int, int] = {}
        for i in state.broadcast:
            t, dests, tok0, _ = props[i]
            if t is not None and tok0:
                bd[t] = bd.get(t, 0) | dests
        need: int | None = None
        for i in state.receive:
            t, dests, _, deliver = props[i]
            if t is not None:
                rd[t] = rd.get(t, 0) | dests
            elif deliver is not None and (need is None or deliver < need):
                need = deliver
        msgs = steps = 0
        for t in set(bd) | set(rd):
            b, r = bd.get(t, 0), rd.get(t, 0)
            msgs += _size(b, n) + n * _size(r, n) - _size(b & r, n)
            steps += bool((b | r) & 2)
        return (msgs, steps, n + 1 if need is None else need)

    def level(self, reward: float) -> list[State]:
        """The candidates of one level, in the cost order."""
        states = [self.unpack(p) for p in self._levels.get(reward, ())]
        return sorted(states, key=lambda s: self.rank(s, reward))

    def state_of(self, cand: Candidate) -> State:
        return State(DONE, tuple(sorted(self.index[a] for a in cand.broadcast)),
                     tuple(sorted(self.index[a] for a in cand.receive)))

    def __iter__(self) -> Iterator[tuple[float, State]]:
        """(reward, state) for every candidate, in the cost order."""
        for r in self.rewards:
            for s in self.level(r):
                yield r, s


#: spaces at least this large go to the space cache (Space.of)
CACHE_FROM = 100_000
#: the modules an enumeration depends on: a change to any makes cached spaces stale
_ENUMERATION_MODULES = ("space", "heuristics", "state", "vocabulary", "action", "reward",
                        "threshold", "config")
_MAGIC = b"rbtui-space-1\n"


def _cache_path(config: RunConfig) -> Path | None:
    """<cache dir>/spaces/<identity>-<code digest>.bin; None if the cache
    directory cannot be named."""
    from .oracle.spin import cache_root
    try:
        here = Path(__file__).resolve().parent
        code = hashlib.sha256(b"".join((here / f"{m}.py").read_bytes()
                                       for m in _ENUMERATION_MODULES)).hexdigest()[:16]
        return cache_root() / "spaces" / f"{identity_key(config)}-{code}.bin"
    except OSError:
        return None


def _write_levels(path: Path, levels: dict[float, list[bytes]]) -> None:
    """Best effort (a cache): a header of the levels and their counts, then
    every packed candidate as a length byte and its bytes."""
    header = json.dumps([[r, len(v)] for r, v in levels.items()]).encode() + b"\n"
    body = bytearray()
    for v in levels.values():
        for p in v:
            if len(p) > 255:  # not with one length byte: left out of the cache
                return
            body.append(len(p))
            body += p
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(_MAGIC + header + bytes(body))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def _read_levels(path: Path) -> dict[float, list[bytes]] | None:
    """The levels written by _write_levels, or None when the file is missing
    or does not read back whole."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        if not data.startswith(_MAGIC):
            return None
        end = data.index(b"\n", len(_MAGIC))
        counts = json.loads(data[len(_MAGIC):end])
        pos, levels = end + 1, {}
        for r, k in counts:
            v = []
            for _ in range(k):
                n = data[pos]
                v.append(data[pos + 1:pos + 1 + n])
                pos += 1 + n
            levels[float(r)] = v
        if pos != len(data):
            return None
        return levels
    except (ValueError, IndexError, TypeError):
        return None


def levels_json(counts: dict[float, int]) -> dict[str, int]:
    return {f"{r:g}": k for r, k in counts.items()}



def unpack(packed: bytes, wide: bool) -> State:
    """The final state of a packed candidate (`wide`: more than 255 actions)."""
    if wide:
        ints = [int.from_bytes(packed[i:i + 2], "big") for i in range(0, len(packed), 2)]
        cut = ints.index(0xFFFF)
    else:
        ints = list(packed)
        cut = ints.index(0xFF)
    return State(DONE, tuple(ints[:cut]), tuple(ints[cut + 1:]))


_DESTS = {"send_all": 3, "send_neighbours": 2, "send_myself": 1}  # bit 1: me, bit 2: others


def _props(action: Action, n: int, f: int) -> tuple[int | None, int, bool, int | None]:
    """(send type, destinations, token 0, messages to deliver) of an action, as
    rbengine.metrics reads them."""
    from . import threshold as thr
    if action.is_send:
        return (action.send_type, _DESTS[action.logic], action.threshold == thr.ZERO, None)
    if action.logic == "deliver":
        tok = "1" if action.threshold == thr.ZERO else action.threshold
        return (None, 0, action.threshold == thr.ZERO, max(1, thr.value(tok, n, f)))
    return (None, 0, True, None)


def _size(dests: int, n: int) -> int:
    """Destinations of a process's sends: me -> 1, others -> N - 1."""
    return (n - 1 if dests & 2 else 0) + (dests & 1)


# ---- counting the space (what the heuristics allow) ----
from .heuristics import Heuristics as _Heuristics  # noqa: E402
from .state import DONE as _DONE  # noqa: E402
from .state import State as _State  # noqa: E402


def heuristics(config: RunConfig) -> "_Heuristics":
    return _Heuristics(config.heuristics, config.vocab())


def finals(heur: Heuristics) -> Iterator[_State]:
    """Every final state reachable under the heuristics, each once (a state
    is reached by every order of its actions: remembered by hash to save memory)."""
    seen: set[int] = set()
    todo = [_State()]
    while todo:
        s = todo.pop()
        k = hash(s.key)
        if k in seen:
            continue
        seen.add(k)
        if s.phase == _DONE:
            yield s
            continue
        for a in heur.filter(s).allowed:
            todo.append(s.add(a, heur.stop))


def count(config: RunConfig) -> int:
    """How many candidates the configuration's heuristics allow."""
    return sum(1 for _ in finals(heuristics(config)))


def contains(config: RunConfig, candidate: Candidate, heur: Heuristics | None = None) -> bool:
    """Whether the heuristics allow `candidate`: some order of its actions
    passes every filter (the order the learner would choose them in). `heur`:
    ``heuristics(config)`` built once by a caller that asks many times."""
    heur = heur or heuristics(config)
    index = {a: i for i, a in enumerate(heur.actions)}
    try:
        want_b = {index[a] for a in candidate.broadcast if not a.is_stop}
        want_r = {index[a] for a in candidate.receive if not a.is_stop}
    except KeyError:
        return False  # an action outside the vocabulary
    todo, seen = [_State()], set()
    while todo:
        s = todo.pop()
        if s.key in seen:
            continue
        seen.add(s.key)
        if s.phase == _DONE:
            return True
        want = want_b if s.phase == 0 else want_r
        have = set(s.current())
        for a in heur.filter(s).allowed:
            if a in want and a not in have or (a == heur.stop and want <= have):
                todo.append(s.add(a, heur.stop))
    return False
