"""The concrete execution model of docs/semantics.md §2-§5, written to be obviously
right rather than fast.

Every other checker is validated against this one: the unreduced search below
is the reference the reduced searches are tested against on small instances,
and every counterexample a fast backend reports is replayed here, step by
step, before it is shown (a counterexample that does not replay is a bug).

Reading of "correct process" (docs/semantics.md §4, a point the paper leaves
open for crash-prone processes that never crash): the properties quantify over the processes the
scenario designates as correct (not faulty). A crash-prone process that never
crashes behaves like a correct one, and any crash-prone process may crash at
the very end without changing what the correct ones did, so for the paper's
scenarios this is equivalent to quantifying over the processes that have not
crashed (see tests/test_semantics.py for the check on small instances).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from .. import threshold as thr
from ..action import DELIVER, SEND_ALL, SEND_MYSELF, SEND_NEIGHBOURS, Action
from ..candidate import Candidate
from ..counterexample import Counterexample, Step
from ..notation import format_action
from ..scenario import Scenario

PROPERTIES = ("validity", "agreement", "integrity")  # reporting priority
M, M2 = 0, 1  # value indices: m and m'


@dataclass(frozen=True)
class Proc:
    up: bool = True
    received: frozenset[tuple[int, int, int]] = frozenset()  # {(type, value, sender)}
    fired: frozenset[int] = frozenset()  # indices into candidate.receive
    delivered: int | None = None
    sent: frozenset[tuple[int, int, int]] = frozenset()  # {(dst, type, value)} ever sent or queued
    # crash-prone only: {(dst, type, value)} not yet emitted
    pending: frozenset[tuple[int, int, int]] = frozenset()


@dataclass(frozen=True)
class State:
    # Proc or None for Byzantine processes (Any: the model reads the entries of
    # correct and crash-prone processes only, never None)
    procs: tuple[Any, ...]
    network: frozenset[tuple[int, int, int, int]]  # {(src, dst, type, value)}


class Model:
    """Transitions of one scenario for one candidate."""

    def __init__(self, cand: Candidate, sc: Scenario, types: int | None = None):
        self.cand = cand
        self.sc = sc
        self.n = sc.n
        self.types = max(types or 2, cand.types())
        self.byz = frozenset(sc.byzantine)
        self.crashy = frozenset(sc.crash_prone)
        self.values = (M,) if sc.attacker == "same-value" else (M, M2)
        self.need = [thr.value(a.threshold, sc.n, sc.f) for a in cand.receive]

    # ---- handler execution -------------------------------------------------
    def holds(self, p: Proc, a: Action, need: int, v: int) -> bool:
        if a.threshold == "0":
            return True
        if a.threshold == "origin":
            return (a.cond_type, v, 0) in p.received
        return sum(1 for (t, w, _s) in p.received if t == a.cond_type and w == v) >= need

    def _dests(self, me: int, logic: str) -> list[int]:
        if logic == SEND_ALL:
            return list(range(self.n))
        if logic == SEND_NEIGHBOURS:
            return [d for d in range(self.n) if d != me]
        assert logic == SEND_MYSELF
        return [me]

    def _fire(self, me: int, p: Proc, a: Action, v: int, out: list[tuple[int, int, int]],
              network: set[tuple[int, int, int, int]]) -> Proc:
        if a.logic == DELIVER:
            if p.delivered is None:
                p = replace(p, delivered=v)
            return p
        t = cast(int, a.send_type)  # a send action has a message type
        sent = set(p.sent)
        pending = set(p.pending)
        for d in self._dests(me, a.logic):
            if d in self.byz or (d, t, v) in sent:
                continue
            sent.add((d, t, v))
            out.append((d, t, v))
            if me in self.crashy:
                pending.add((d, t, v))
            else:
                network.add((me, d, t, v))
        return replace(p, sent=frozenset(sent), pending=frozenset(pending))

    def initial(self) -> tuple[State, list[Step]]:
        procs = [None if i in self.byz else Proc() for i in range(self.n)]
        network: set[tuple[int, int, int, int]] = set()
        steps: list[Step] = []
        if 0 not in self.byz:
            p = cast(Proc, procs[0])  # p0 is not Byzantine
            out: list[tuple[int, int, int]] = []
            fired = []
            before = p.delivered
            for a in self.cand.broadcast:
                if a.threshold == "0":  # only the tautology holds on an empty state
                    p = self._fire(0, p, a, M, out, network)
                    fired.append(format_action(a))
            procs[0] = p
            steps.append(Step("broadcast", 0, fired=tuple(fired), sends=tuple(out),
                              delivered=p.delivered if p.delivered != before else None))
        return State(tuple(procs), frozenset(network)), steps

    def receive(self, s: State, me: int, sender: int, t: int, v: int,
                from_network: bool = True) -> tuple[State, Step]:
        p = s.procs[me]
        network = set(s.network)
        if from_network:
            network.discard((sender, me, t, v))
        p = replace(p, received=p.received | {(t, v, sender)})
        out: list[tuple[int, int, int]] = []
        fired_txt = []
        fired = set(p.fired)
        before = p.delivered
        for i, a in enumerate(self.cand.receive):
            if i not in fired and self.holds(p, a, self.need[i], v):
                fired.add(i)
                p = self._fire(me, p, a, v, out, network)
                fired_txt.append(format_action(a))
        p = replace(p, fired=frozenset(fired))
        procs = list(s.procs)
        procs[me] = p
        step = Step("receive", me, sender=sender, msg=(t, v), fired=tuple(fired_txt),
                    sends=tuple(out), delivered=p.delivered if p.delivered != before else None)
        return State(tuple(procs), frozenset(network)), step

    # ---- all transitions (unreduced) ---------------------------------------
    def successors(self, s: State) -> Iterator[tuple[State, tuple[Step, ...]]]:
        for (src, dst, t, v) in sorted(s.network):
            if s.procs[dst] is not None and s.procs[dst].up:
                ns, st = self.receive(s, dst, src, t, v)
                yield ns, (st,)
        for i in sorted(self.crashy):
            p = s.procs[i]
            if not p.up:
                continue
            for (d, t, v) in sorted(p.pending):
                procs = list(s.procs)
                procs[i] = replace(p, pending=p.pending - {(d, t, v)})
                yield (State(tuple(procs), s.network | {(i, d, t, v)}),
                       (Step("emit", i, sends=((d, t, v),)),))
            procs = list(s.procs)
            procs[i] = replace(p, up=False, pending=frozenset())
            yield (State(tuple(procs), s.network),
                   (Step("crash", i, dropped=tuple(sorted(p.pending))),))
        for b in sorted(self.byz):
            for dst in self.sc.correct:
                for t in range(self.types):
                    for v in self.values:
                        if (t, v, b) not in s.procs[dst].received:
                            ns, st = self.receive(s, dst, b, t, v, from_network=False)
                            yield ns, (Step("byzantine", b, sends=((dst, t, v),)), st)

    def quiescent(self, s: State) -> bool:
        for (_src, dst, _t, _v) in s.network:
            p = s.procs[dst]
            if p is not None and p.up:
                return False
        return all(not s.procs[i].pending for i in self.crashy if s.procs[i].up)

    def violation(self, s: State) -> str | None:
        """The highest-priority property violated in s (checked on quiescent states)."""
        return violated(self.sc, [None if q is None else q.delivered for q in s.procs])

    def delivered(self, s: State) -> dict[int, int | None]:
        return {p: s.procs[p].delivered for p in self.sc.correct}


def violated(sc: Scenario, delivered: Sequence[int | None]) -> str | None:
    """Properties of docs/semantics.md §5 over the scenario's correct processes,
    given each process's delivered value (None, M or M2)."""
    correct = sc.correct
    if sc.broadcaster_correct and delivered[0] != M:
        return "validity"
    if len({delivered[p] for p in correct}) > 1:
        return "agreement"
    if sc.broadcaster_correct and any(delivered[p] == M2 for p in correct):
        return "integrity"
    return None


def possible(sc: Scenario) -> tuple[str, ...]:
    """The properties `violated` can report in this scenario, by priority. With
    a faulty broadcaster only agreement speaks, so a search that meets an
    agreement violation there has found the scenario's verdict and may stop."""
    return PROPERTIES if sc.broadcaster_correct else ("agreement",)


def explore(cand: Candidate, sc: Scenario, types: int | None = None, limit: int = 2_000_000,
            shortest: bool = False, guard: Callable[[int], object] | None = None
            ) -> tuple[str | None, int, Counterexample | None]:
    """Unreduced exhaustive search. Returns (property or None, states, steps).

    Finds the highest-priority property violated in any reachable quiescent
    state. Raises OverflowError past `limit` states (tests skip such cases).
    shortest: explore in order of concrete steps from the initial state
    (uniform-cost), so the counterexample has the fewest steps of all
    counterexamples for that property; the same states are reached, so the
    verdict is the same.
    guard: called with the number of states so far, once per expanded state;
    it may raise to abandon the search (cancellation, a time limit).
    """
    model = Model(cand, sc, types)
    init, init_steps = model.initial()
    if shortest:
        return _explore_shortest(model, sc, init, init_steps, limit, guard)
    parent: dict[State, tuple[State, tuple[Step, ...]] | None] = {init: None}
    stack = [init]
    best: tuple[int, State] | None = None
    while stack:
        s = stack.pop()
        if guard is not None:
            guard(len(parent))
        if model.quiescent(s):
            prop = model.violation(s)
            if prop is not None:
                rank = PROPERTIES.index(prop)
                if best is None or rank < best[0]:
                    best = (rank, s)
                    if rank == 0:
                        break
        for ns, steps in model.successors(s):
            if ns not in parent:
                parent[ns] = (s, steps)
                if len(parent) > limit:
                    raise OverflowError(f"more than {limit} states")
                stack.append(ns)
    if best is None:
        return None, len(parent), None
    path: list[Step] = []
    s = best[1]
    while parent[s] is not None:
        s, steps = cast("tuple[State, tuple[Step, ...]]", parent[s])
        path[:0] = steps
    cx = Counterexample(sc.mode, sc.n, sc.f, sc.name, sc.attacker, sc.faulty,
                        PROPERTIES[best[0]], tuple(init_steps + path), model.delivered(best[1]))
    return PROPERTIES[best[0]], len(parent), cx


def _explore_shortest(model: Model, sc: Scenario, init: State, init_steps: list[Step], limit: int,
                      guard: Callable[[int], object] | None = None
                      ) -> tuple[str | None, int, Counterexample | None]:
    import heapq
    rank: int | None
    parent: dict[State, tuple[State, tuple[Step, ...]] | None] = {init: None}
    dist = {init: 0}
    heap = [(0, 0, init)]
    tick = 0
    found: list[State | None] = [None] * len(PROPERTIES)
    while heap:
        d, _, s = heapq.heappop(heap)
        if d > dist[s]:
            continue
        if guard is not None:
            guard(len(dist))
        if model.quiescent(s):
            prop = model.violation(s)
            if prop is not None:
                rank = PROPERTIES.index(prop)
                if found[rank] is None:
                    found[rank] = s
                    if rank == 0:
                        break
        for ns, steps in model.successors(s):
            nd = d + len(steps)
            if ns not in dist or nd < dist[ns]:
                dist[ns] = nd
                parent[ns] = (s, steps)
                if len(dist) > limit:
                    raise OverflowError(f"more than {limit} states")
                tick += 1
                heapq.heappush(heap, (nd, tick, ns))
    rank = next((r for r, s in enumerate(found) if s is not None), None)
    if rank is None:
        return None, len(dist), None
    path: list[Step] = []
    s = cast(State, found[rank])
    while parent[s] is not None:
        s, steps = cast("tuple[State, tuple[Step, ...]]", parent[s])
        path[:0] = steps
    cx = Counterexample(sc.mode, sc.n, sc.f, sc.name, sc.attacker, sc.faulty,
                        PROPERTIES[rank], tuple(init_steps + path),
                        model.delivered(cast(State, found[rank])))
    return PROPERTIES[rank], len(dist), cx


def replay(cand: Candidate, sc: Scenario, steps: Iterable[Step], types: int | None = None
           ) -> tuple[State, str | None, bool]:
    """Re-execute a counterexample's steps on the concrete model.

    Checks that every step is enabled and produces exactly the recorded effect,
    and returns (final state, violated property or None, quiescent?).
    Raises ValueError on the first step that is not a real transition.
    """
    model = Model(cand, sc, types)
    s, init_steps = model.initial()
    steps = list(steps)
    if init_steps:
        if not steps or steps[0] != init_steps[0]:
            raise ValueError("counterexample does not start with the broadcast step")
        steps = steps[1:]
    i = 0
    while i < len(steps):
        st = steps[i]
        if st.kind == "receive":
            t, v = cast("tuple[int, int]", st.msg)
            if (st.sender, st.process, t, v) not in s.network or not s.procs[st.process].up:
                raise ValueError(f"step {i}: message not in transit: {st.text()}")
            s, got = model.receive(s, st.process, cast(int, st.sender), t, v)
        elif st.kind == "byzantine":
            d, t, v = st.sends[0]
            if st.process not in model.byz or v not in model.values or d not in sc.correct \
                    or (t, v, st.process) in s.procs[d].received:
                raise ValueError(f"step {i}: not a possible Byzantine send: {st.text()}")
            s, got = model.receive(s, d, st.process, t, v, from_network=False)
            i += 1
            if i >= len(steps) or steps[i] != got:
                raise ValueError(f"step {i}: Byzantine send not followed by its receipt")
            i += 1
            continue
        elif st.kind == "emit":
            p = s.procs[st.process]
            d, t, v = st.sends[0]
            if st.process not in model.crashy or not p.up or (d, t, v) not in p.pending:
                raise ValueError(f"step {i}: not a pending send: {st.text()}")
            procs = list(s.procs)
            procs[st.process] = replace(p, pending=p.pending - {(d, t, v)})
            s = State(tuple(procs), s.network | {(st.process, d, t, v)})
            got = st
        elif st.kind == "crash":
            p = s.procs[st.process]
            if st.process not in model.crashy or not p.up:
                raise ValueError(f"step {i}: process cannot crash: {st.text()}")
            procs = list(s.procs)
            procs[st.process] = replace(p, up=False, pending=frozenset())
            s = State(tuple(procs), s.network)
            got = Step("crash", st.process, dropped=tuple(sorted(p.pending)))
        else:
            raise ValueError(f"step {i}: unknown step kind {st.kind!r}")
        if got != st:
            raise ValueError(f"step {i}: recorded {st.text()!r} but the model gives {got.text()!r}")
        i += 1
    return s, model.violation(s), model.quiescent(s)


def concretize(cand: Candidate, sc: Scenario, moves: Iterable[tuple[Any, ...]], prop: str,
               types: int | None = None, states: int = 0) -> Counterexample:
    """Turn a backend's moves into a checked concrete counterexample.

    Moves (tuples), all real transitions of the concrete model:
      ("recv", dst, src, t, v)    receive one in-transit message
      ("emit", p, dst, t, v)      crash-prone p performs one pending send
      ("crash", p)
      ("byz", b, dst, t, v)       Byzantine b sends <t, v> to dst, dst receives it
      ("batch", dst, t, v, j, k, from_p0)
          dst receives j in-transit <t, v> from correct senders (lowest ids
          first; p0 excluded when the candidate reads `origin`), then k from
          Byzantine senders other than p0 that have not sent <t, v> to dst,
          then, if from_p0, the broadcaster's <t, v> (in transit if p0 is
          correct, emitted first if crash-prone, a Byzantine send if
          Byzantine).
      ("finish",)                 crash the up crash-prone processes that still
                                  have work, then receive every message left
                                  in transit (leftover receipts).
    Raises ValueError if a move is impossible or the end state is not a
    quiescent state violating `prop`: a backend bug, never a user error.
    """
    model = Model(cand, sc, types)
    s, steps = model.initial()
    origin = cand.uses_origin()

    def recv(dst: int, src: int, t: int, v: int) -> None:
        nonlocal s
        if (src, dst, t, v) not in s.network or not s.procs[dst].up:
            raise ValueError(f"move {mv}: <{t},{v}> from p{src} to p{dst} is not in transit")
        s, st = model.receive(s, dst, src, t, v)
        steps.append(st)

    def byz(b: int, dst: int, t: int, v: int) -> None:
        nonlocal s
        if b not in model.byz or dst not in sc.correct or v not in model.values \
                or (t, v, b) in s.procs[dst].received:
            raise ValueError(f"move {mv}: p{b} cannot send <{t},{v}> to p{dst}")
        steps.append(Step("byzantine", b, sends=((dst, t, v),)))
        s, st = model.receive(s, dst, b, t, v, from_network=False)
        steps.append(st)

    def emit(p: int, d: int, t: int, v: int) -> None:
        nonlocal s
        q = s.procs[p]
        if p not in model.crashy or not q.up or (d, t, v) not in q.pending:
            raise ValueError(f"move {mv}: p{p} has no pending <{t},{v}> for p{d}")
        procs = list(s.procs)
        procs[p] = replace(q, pending=q.pending - {(d, t, v)})
        s = State(tuple(procs), s.network | {(p, d, t, v)})
        steps.append(Step("emit", p, sends=((d, t, v),)))

    for mv in moves:
        kind = mv[0]
        if kind == "recv":
            recv(*mv[1:])
        elif kind == "byz":
            byz(*mv[1:])
        elif kind == "emit":
            emit(*mv[1:])
        elif kind == "crash":
            p = mv[1]
            q = s.procs[p]
            if p not in model.crashy or not q.up:
                raise ValueError(f"move {mv}: p{p} cannot crash")
            procs = list(s.procs)
            procs[p] = replace(q, up=False, pending=frozenset())
            s = State(tuple(procs), s.network)
            steps.append(Step("crash", p, dropped=tuple(sorted(q.pending))))
        elif kind == "batch":
            _, dst, t, v, j, k, from_p0 = mv
            senders = sorted(src for (src, d, tt, vv) in s.network
                             if d == dst and tt == t and vv == v and not (origin and src == 0))
            if len(senders) < j:
                raise ValueError(f"move {mv}: only {len(senders)} correct <{t},{v}> in transit to p{dst}")
            for src in senders[:j]:
                recv(dst, src, t, v)
            if model.crashy:  # crash-prone senders holding <t, v> for dst
                for p in sorted(model.crashy):
                    if k and not (origin and p == 0) and s.procs[p].up \
                            and (dst, t, v) in s.procs[p].pending:
                        emit(p, dst, t, v)
                        recv(dst, p, t, v)
                        k -= 1
                if k:
                    raise ValueError(f"move {mv}: too few crash-prone senders hold <{t},{v}>")
            else:
                free = [b for b in sorted(model.byz)
                        if not (origin and b == 0) and (t, v, b) not in s.procs[dst].received]
                if len(free) < k:
                    raise ValueError(f"move {mv}: only {len(free)} Byzantine senders left")
                for b in free[:k]:
                    byz(b, dst, t, v)
            if from_p0:
                if 0 in model.byz:
                    byz(0, dst, t, v)
                elif 0 in model.crashy:
                    emit(0, dst, t, v)
                    recv(dst, 0, t, v)
                else:
                    recv(dst, 0, t, v)
        elif kind == "finish":
            for p in sorted(model.crashy):
                q = s.procs[p]
                if q.up and (q.pending or any(d == p for (_s, d, _t, _v) in s.network)):
                    procs = list(s.procs)
                    procs[p] = replace(q, up=False, pending=frozenset())
                    s = State(tuple(procs), s.network)
                    steps.append(Step("crash", p, dropped=tuple(sorted(q.pending))))
            while True:
                todo = sorted(m for m in s.network if s.procs[m[1]] is not None and s.procs[m[1]].up)
                if not todo:
                    break
                src, dst, t, v = todo[0]
                s, st = model.receive(s, dst, src, t, v)
                steps.append(st)
        else:
            raise ValueError(f"unknown move {mv!r}")
    if not model.quiescent(s):
        raise ValueError("counterexample does not end in a quiescent state")
    got = model.violation(s)
    if got != prop:
        raise ValueError(f"counterexample ends violating {got!r}, not {prop!r}")
    return Counterexample(sc.mode, sc.n, sc.f, sc.name, sc.attacker, sc.faulty, prop,
                          tuple(steps), model.delivered(s))
