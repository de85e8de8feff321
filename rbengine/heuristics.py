"""The generation heuristics GH1..GH10 (the paper's Table 4 and §4.5).

They do not make candidates correct; they discard choices that are useless in a
state, so the learner explores fewer states. ``Heuristics.filter`` returns the
allowed actions of a state and, per heuristic, the actions it removed (each
removed action is credited to the first heuristic that rejects it, in the order
GH1..GH8, GH10, GH9: GH9 comes last because it is the only one that looks ahead).

Readings where the paper is terse:

- GH1 and GH4 look at the whole algorithm, both handlers: this is what makes
  the paper's Algorithm 2 send ``type1`` in receive (``send_neighbours type0``
  on the tautology is taken by RB-Broadcast's ``send_myself type0``).
- GH6 counts STOP: "2 to 4 actions" lets a handler have 1 to 3 actions + STOP,
  as in Algorithms 1-3.
- GH7 "a type already sent": sent by an action already in the state, in either
  handler; so a receive action waiting for ``type1`` comes after the SEND that
  introduces ``type1``.
- GH8 removes the last STOP while the algorithm has no DELIVER and, when only
  one action fits before GH6's maximum, everything but DELIVER: without that,
  GH6 and GH8 together could leave a state with no allowed action.
- GH9 "incorrect states are blocked": see ``DeadStates``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import cast

from .action import DELIVER, Action
from .config import HEURISTICS, HeuristicsConfig
from .state import DONE, RECEIVE, State, StateKey
from .vocabulary import Vocabulary

DEAD_END = "dead-end"  # removal reason when GH9 is off (structural dead ends only)


class DeadStates:
    """GH9's memory: states from which no candidate worth generating is reachable.

    A state is dead when it is

    1. a complete candidate this run has verified incorrect (GH9 only), or
    2. a partial state in which every action is removed, by the other
       heuristics or because it leads to a dead state.

    GH9 removes every action that leads to a dead state. Case 2 is found by
    propagation: whenever a state becomes dead, each of its parents is
    re-filtered and becomes dead if nothing is left, and so on upwards. So the
    learner never enters a state it cannot leave with a candidate that is not
    already known incorrect, and it never needs to backtrack.

    Nothing is blocked on suspicion: a prefix of a correct (or not yet
    verified) candidate always keeps the choice that leads towards it, so it
    is never dead. Only this run's own verdicts count (not the shared verdict
    cache), so a seeded run behaves the same whatever else the store holds.
    """

    def __init__(self, stop: int) -> None:
        self.stop = stop
        self.keys: set[StateKey] = set()
        self.blocked: dict[StateKey, set[int]] = {}  # parent key -> actions leading to a dead state
        self.new: list[State] = []  # added since the last checkpoint

    def __contains__(self, state: State) -> bool:
        return state.key in self.keys

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, state: State, new: bool = True) -> bool:
        if state.key in self.keys:
            return False
        self.keys.add(state.key)
        for parent, action in state.parents(self.stop):
            self.blocked.setdefault(parent.key, set()).add(action)
        if new:
            self.new.append(state)
        return True

    def discard_new(self, mark: int) -> None:
        """Forget the states added since len(self.new) was `mark`."""
        for s in self.new[mark:]:
            self.keys.discard(s.key)
            for parent, action in s.parents(self.stop):
                self.blocked.get(parent.key, set()).discard(action)
        del self.new[mark:]

    def drain(self) -> list[State]:
        out, self.new = self.new, []
        return out


@dataclass
class Filtered:
    """The outcome of the heuristic analysis (step 1 of a development phase)."""

    allowed: list[int]  # action indices, vocabulary order
    removed: dict[str, list[int]] = field(default_factory=dict)  # GHk -> action indices


class Heuristics:
    """GH1..GH10 over one vocabulary. Static parts are precomputed per handler."""

    def __init__(self, cfg: HeuristicsConfig, vocab: Vocabulary):
        cfg = cfg.resolved(vocab)
        self.cfg = cfg
        self.vocab = vocab
        self.actions: list[Action] = vocab.actions()
        self.stop = len(self.actions) - 1
        self.on = {gh: cfg.enabled(gh) for gh in HEURISTICS}
        self.dead_reason = "GH9" if self.on["GH9"] else DEAD_END
        # static removals, per handler: action index -> heuristic
        self._static: list[dict[int, str]] = [self._static_for(h) for h in ("broadcast", "receive")]

    # ---- per-handler static heuristics: GH2, GH3, GH5, GH10 ------------
    def _static_for(self, handler: str) -> dict[int, str]:
        cfg = self.cfg
        max_types = cast(int, cfg.max_types)  # resolved: set from the vocabulary
        out: dict[int, str] = {}
        for i, a in enumerate(self.actions):
            if a.is_stop:
                continue
            why = None
            if self.on["GH2"] and a.logic not in cfg.logics[handler]:
                why = "GH2"
            elif self.on["GH3"] and cfg.tokens[handler] is not None \
                    and a.threshold not in cast("list[str]", cfg.tokens[handler]):
                why = "GH3"
            elif self.on["GH5"] and handler == "broadcast" and a.is_send \
                    and a.send_type not in cfg.broadcast_types:
                why = "GH5"
            elif self.on["GH10"] and ((a.is_send and cast(int, a.send_type) >= max_types)
                                      or (a.threshold != "0" and a.cond_type >= max_types)):
                why = "GH10"
            if why:
                out[i] = why
        return out

    # ---- the analysis ----------------------------------------------------
    def filter(self, state: State, dead: DeadStates | None = None) -> Filtered:
        """Allowed actions in `state` and what each heuristic removed."""
        if state.phase == DONE:
            return Filtered([])
        acts = self.actions
        on = self.on
        cfg = self.cfg
        static = self._static[state.phase]
        present = set(state.broadcast)
        present.update(state.receive)
        sent: set[int] = set()
        send_conds: set[tuple[int, int, str]] = set()
        has_deliver = False
        for i in present:
            a = acts[i]
            if a.send_type is not None:
                sent.add(a.send_type)
                send_conds.add((a.send_type, a.cond_type, a.threshold))
            elif a.logic == DELIVER:
                has_deliver = True
        n_cur = len(state.current())
        last = state.phase == RECEIVE
        gh1, gh4, gh7 = on["GH1"], on["GH4"], on["GH7"]
        # GH6: handler full (only STOP fits) / one action left before STOP
        max_actions = cast(int, cfg.max_actions)  # resolved: set from the vocabulary
        full = on["GH6"] and n_cur + 1 >= max_actions
        need_deliver = on["GH8"] and last and not has_deliver and (
            on["GH6"] and n_cur + 2 >= max_actions)
        blocked: Collection[int] = dead.blocked.get(state.key, ()) if dead is not None else ()
        allowed: list[int] = []
        removed: dict[str, list[int]] = {}
        stop = self.stop
        for i, a in enumerate(acts):
            why = None
            if i == stop:
                if on["GH6"] and n_cur + 1 < cfg.min_actions:
                    why = "GH6"
                elif on["GH8"] and last and not has_deliver:
                    why = "GH8"
            else:
                st = static.get(i)
                if gh1 and i in present:
                    why = "GH1"
                elif st == "GH2" or st == "GH3":
                    why = st
                elif gh4 and a.send_type is not None \
                        and (a.send_type, a.cond_type, a.threshold) in send_conds:
                    why = "GH4"
                elif st == "GH5":
                    why = st
                elif full:
                    why = "GH6"
                elif gh7 and a.threshold != "0" and a.cond_type not in sent:
                    why = "GH7"
                elif need_deliver and a.logic != DELIVER:
                    why = "GH8"
                elif st is not None:
                    why = st  # GH10
            if why is None and i in blocked:
                why = self.dead_reason
            if why is None:
                allowed.append(i)
            else:
                removed.setdefault(why, []).append(i)
        return Filtered(allowed, removed)

    # ---- GH9 bookkeeping -------------------------------------------------
    def mark_dead(self, state: State, dead: DeadStates) -> list[State]:
        """Add `state` to the dead states and propagate upwards; returns the
        states newly found dead (the argument first)."""
        out: list[State] = []
        todo = [state]
        while todo:
            s = todo.pop()
            if not dead.add(s):
                continue
            out.append(s)
            for p, _action in s.parents(self.stop):
                if p not in dead and not self.filter(p, dead).allowed:
                    todo.append(p)
        return out

    def names(self, indices: Iterable[int]) -> list[Action]:
        return [self.actions[i] for i in indices]
