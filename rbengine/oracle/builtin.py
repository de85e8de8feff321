"""Backend ``builtin``: an in-process explicit-state search, fast.

Two reduced searches, argued in docs/oracle.md and tested against the
unreduced search of semantics.py on small instances:

* none: receipts are inevitable and commute, so one greedy run suffices;
* crash and Byzantine: lazy batched receipts over per-(type, value)
  counters, correct messages preferred to faulty ones, dead counters
  forgotten, interchangeable processes kept sorted.

Both return moves that semantics.concretize turns into a checked concrete
counterexample.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, cast

from .. import threshold as thr
from ..action import DELIVER, SEND_ALL, SEND_MYSELF, SEND_NEIGHBOURS
from ..candidate import Candidate
from ..errors import OracleError, StateLimitError
from ..scenario import Scenario
from .backend import ScenarioResult
from .semantics import PROPERTIES, concretize, possible, violated

_T0, _ORIGIN, _COUNT = 0, 1, 2
MAX_STATES = 5_000_000

# The searches' data, for the type checker. A local state is a flat tuple whose
# shape depends on the position (see _Counter), hence Any inside.
_Local = tuple[Any, ...]
_Procs = list[_Local]  # one local state per position
_Key = tuple[_Local, ...]  # a canonical global state (_Counter.canon)
_Choice = tuple[int, int, int, int, bool]  # a batch: (position, key, j, k, p0)
_Move = tuple[Any, ...]  # a move of semantics.concretize, e.g. ("recv", dst, src, t, v)
_Work = list[tuple[int, int, int]]  # sends still to be received
_Goal = Callable[[Scenario, list[Any]], bool]  # (scenario, delivered values) -> a violation?
_Found = tuple[str | None, int, list[_Move] | None]  # (property, states, moves)


class _Guard:
    """Polled by the searches: cancellation, a time limit and a state budget
    end a search with an OracleError, never with a guessed verdict."""

    def __init__(self, cancel: Callable[[], bool] | None = None, timeout: float | None = None,
                 max_states: int = MAX_STATES,
                 name: str = "built-in"):
        self.name = name
        self.cancel = cancel
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.timeout = timeout
        self.max_states = max_states
        self.ticks = 0

    def __call__(self, states: int) -> None:
        self.ticks += 1
        if self.ticks & 255:
            return
        if self.cancel is not None and self.cancel():
            raise OracleError("verification cancelled")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise OracleError(f"{self.name} search ran out of time ({self.timeout:g} s)")
        if states > self.max_states:
            raise StateLimitError(f"{self.name} search exceeded {self.max_states:,} states; "
                              "try a smaller N or the spin backend")
_DEST = {SEND_ALL: 0, SEND_NEIGHBOURS: 1, SEND_MYSELF: 2}


class _Table:
    """The candidate's receive handler compiled for one scenario."""

    def __init__(self, cand: Candidate, sc: Scenario, types: int | None):
        self.n = sc.n
        self.types = max(types or 2, cand.types())
        # per receive action: destination mode and send type, both None for a
        # DELIVER (Any: read only where the action sends)
        self.dest: list[Any]
        self.st: list[Any]
        self.kind, self.ct, self.need, self.dest, self.st = [], [], [], [], []
        for a in cand.receive:
            if a.threshold == "0":
                self.kind.append(_T0)
            elif a.threshold == "origin":
                self.kind.append(_ORIGIN)
            else:
                self.kind.append(_COUNT)
            self.ct.append(a.cond_type)
            self.need.append(thr.value(a.threshold, sc.n, sc.f))
            self.dest.append(None if a.logic == DELIVER else _DEST[a.logic])
            self.st.append(a.send_type)
        self.nact = len(self.kind)
        self.bcast: list[tuple[int | None, Any]] = [
            (None if a.logic == DELIVER else _DEST[a.logic], a.send_type)
            for a in cand.broadcast if a.threshold == "0"]
        self.tok0 = sum(1 << i for i, k in enumerate(self.kind) if k == _T0)
        self.origin_on = [sum(1 << i for i in range(self.nact)
                              if self.kind[i] == _ORIGIN and self.ct[i] == t)
                          for t in range(self.types)]
        # count actions per type: sorted distinct needs, and the mask at each need
        self.levels: list[list[tuple[int, int]]] = []
        for t in range(self.types):
            by_need: dict[int, int] = {}
            for i in range(self.nact):
                if self.kind[i] == _COUNT and self.ct[i] == t:
                    by_need[self.need[i]] = by_need.get(self.need[i], 0) | (1 << i)
            self.levels.append(sorted(by_need.items()))
        self.uses_origin = cand.uses_origin()
        # actions whose condition reads type t (counts or origin)
        self.readers = [sum(1 << i for i in range(self.nact)
                            if self.kind[i] != _T0 and self.ct[i] == t)
                        for t in range(self.types)]


# ---------------------------------------------------------------------------
# none: one greedy run
# ---------------------------------------------------------------------------

class _NoFailure:
    """Every receipt is inevitable and commutes with every other one, so the
    run that receives messages in any fixed order reaches the only quiescent
    state. State per process: counts per type, origin mask, fired, delivered,
    destinations sent to per type (value m only)."""

    def __init__(self, cand: Candidate, sc: Scenario, types: int | None):
        self.tab = _Table(cand, sc, types)
        self.sc = sc
        self.T = self.tab.types

    def _send(self, st: list[dict[str, Any]], p: int, dmode: int, t: int, work: _Work) -> None:
        n = self.sc.n
        dests = range(n) if dmode == 0 else ([d for d in range(n) if d != p] if dmode == 1 else [p])
        for d in dests:
            if d not in st[p]["sent"][t]:
                st[p]["sent"][t].add(d)
                work.append((p, d, t))

    def search(self, guard: Callable[[int], object] = lambda states: None) -> _Found:
        tab, T = self.tab, self.T
        st: list[dict[str, Any]] = [{"cnt": [0] * T, "orig": 0, "fired": 0, "dl": None,
               "sent": [set() for _ in range(T)]} for _ in range(self.sc.n)]
        work: _Work = []
        for dmode, t in tab.bcast:
            if dmode is None:
                st[0]["dl"] = 0
            else:
                self._send(st, 0, dmode, t, work)
        moves: list[_Move] = []
        while work:
            src, dst, t = work.pop(0)
            moves.append(("recv", dst, src, t, 0))
            p = st[dst]
            p["cnt"][t] += 1
            if src == 0:
                p["orig"] |= 1 << t
            for i in range(tab.nact):
                if p["fired"] >> i & 1:
                    continue
                k = tab.kind[i]
                if (k == _COUNT and p["cnt"][tab.ct[i]] < tab.need[i]) or \
                        (k == _ORIGIN and not p["orig"] >> tab.ct[i] & 1):
                    continue
                p["fired"] |= 1 << i
                if tab.dest[i] is None:
                    if p["dl"] is None:
                        p["dl"] = 0
                else:
                    self._send(st, dst, tab.dest[i], tab.st[i], work)
        prop = violated(self.sc, [p["dl"] for p in st])
        return prop, 1, (moves + [("finish",)] if prop else None)


class _Counter:
    """Lazy batched receipts over counters (crash, byzantine same-value and full).

    Positions: the scenario's correct processes first (p0 first when it is
    correct), then its crash-prone ones (p0 first when it is crash-prone).
    Byzantine processes have no state: what they may send is a budget.

    Local state of a correct process, a tuple (c, a, b, oin, orcv, fired,
    delivered, sent): c, a, b are tuples over keys k = 2*t + v (received
    count; correct messages in transit; Byzantine senders used, or, in crash
    mode, messages from crash-prone senders that may still arrive); oin/orcv
    are masks over keys (the broadcaster's message available / received, kept
    apart only when the candidate reads `origin`); delivered is -1, 0 (m) or
    1 (m'); sent has 2 bits per key (sent to self, to the others).

    A crash-prone process (c, orig, fired, sent) receives every message sent
    to it at once: it may crash at any moment, so each of its sends to a
    correct process is only *available* (it arrives in a batch, or never), and
    receiving early only offers more such sends (single value: order does not
    matter). Sends between crash-prone processes arrive at once, which is one
    of their real behaviours and offers every later choice.
    """

    def __init__(self, cand: Candidate, sc: Scenario, types: int | None):
        self.tab = tab = _Table(cand, sc, types)
        self.sc = sc
        self.K = 2 * tab.types
        self.crash = sc.mode == "crash"
        correct = list(sc.correct)
        crashy = list(sc.crash_prone)
        self.procs = correct + crashy
        self.nc = len(correct)
        self.p0_correct = sc.broadcaster_correct
        self.p0_pos = 0 if self.p0_correct else (self.nc if 0 in crashy else None)
        self.track_origin = tab.uses_origin
        nbyz = len(sc.byzantine)
        # Byzantine senders other than p0 when p0 is tracked separately
        self.nb = nbyz - (1 if (0 in sc.byzantine and self.track_origin) else 0)
        # values a Byzantine process may send: both, or only m (same-value)
        self.byz_v = (True, sc.attacker == "full")
        f1 = 1 if self.p0_correct else 0
        f2 = self.nc + (1 if 0 in crashy else 0)
        self.groups = ((f1, self.nc), (f2, len(self.procs)))  # interchangeable positions
        # one value only (crash, same-value, no Byzantine process): every
        # receipt commutes with every other one, so correct messages are safe
        self.single = self.crash or not sc.byzantine or not self.byz_v[1]
        self.delmask = sum(1 << i for i in range(tab.nact) if tab.dest[i] is None)
        self.allmask = (1 << tab.nact) - 1
        self.cost = 0  # concrete steps of the current move (see step)
        # per type: masks of the actions sending it to the others / to oneself
        self._send_masks = (
            [sum(1 << i for i in range(tab.nact) if tab.dest[i] in (0, 1) and tab.st[i] == t)
             for t in range(tab.types)],
            [sum(1 << i for i in range(tab.nact) if tab.dest[i] in (0, 2) and tab.st[i] == t)
             for t in range(tab.types)])

    def empty(self, pos: int) -> _Local:
        z = (0,) * self.K
        if pos < self.nc:
            return (z, z, z, 0, 0, 0, -1, 0)
        return (z, 0, 0, 0)

    def canon(self, procs: _Procs) -> _Key:
        (a1, b1), (a2, b2) = self.groups
        return (tuple(procs[:a1]) + tuple(sorted(procs[a1:b1])) + tuple(procs[b1:a2])
                + tuple(sorted(procs[a2:b2])))

    # -- firing --------------------------------------------------------------
    def _send(self, procs: _Procs, me: int, dmode: int, st: int, v: int, work: _Work) -> None:
        key = 2 * st + v
        loc = procs[me]
        si = 7 if me < self.nc else 3
        sent = loc[si]
        to_self = dmode in (0, 2) and not (sent >> (2 * key)) & 1
        to_others = dmode in (0, 1) and not (sent >> (2 * key + 1)) & 1
        if not (to_self or to_others):
            return
        procs[me] = loc[:si] + (sent | (to_self << (2 * key)) | (to_others << (2 * key + 1)),)
        from_p0 = me == self.p0_pos and self.track_origin
        mine_correct = me < self.nc
        readers = self.tab.tok0 | self.tab.readers[st]
        for q in range(len(procs)):
            if not ((q == me and to_self) or (q != me and to_others)):
                continue
            if q >= self.nc:
                work.append((q, me, key))
                continue
            if mine_correct:
                self.cost += 1  # its receipt, whenever it happens (all are received)
            c, a, b, oin, orcv, fired, dl, snt = procs[q]
            if not readers & ~fired:
                continue  # nothing of q will ever read it
            if from_p0:
                oin |= 1 << key
            elif mine_correct:
                a = a[:key] + (a[key] + 1,) + a[key + 1:]
            else:
                b = b[:key] + (b[key] + 1,) + b[key + 1:]
            procs[q] = (c, a, b, oin, orcv, fired, dl, snt)

    def _drain(self, procs: _Procs, work: _Work, log: list[_Move] | None) -> None:
        """Crash-prone processes receive what was sent to them, at once."""
        tab = self.tab
        while work:
            q, src, key = work.pop(0)
            t, v = divmod(key, 2)
            self.cost += 2 if src >= self.nc else 1
            if log is not None:
                if src >= self.nc:
                    log.append(("emit", self.procs[src], self.procs[q], t, v))
                log.append(("recv", self.procs[q], self.procs[src], t, v))
            c, orig, fired, sent = procs[q]
            c = c[:key] + (c[key] + 1,) + c[key + 1:]
            if src == self.p0_pos:
                orig |= 1 << key
            fire = 0
            for i in range(tab.nact):
                bit = 1 << i
                if fired & bit:
                    continue
                k = tab.kind[i]
                if k == _COUNT:
                    if c[2 * tab.ct[i] + v] < tab.need[i]:
                        continue
                elif k == _ORIGIN:
                    if not (orig >> (2 * tab.ct[i] + v)) & 1:
                        continue
                fire |= bit
            procs[q] = (c, orig, fired | fire, sent)
            self._fire(procs, q, fire, v, work)

    def _fire(self, procs: _Procs, me: int, fire: int, v: int, work: _Work) -> None:
        tab = self.tab
        i = 0
        while fire:
            if fire & 1:
                if tab.dest[i] is None:
                    loc = procs[me]
                    if me < self.nc and loc[6] < 0:
                        procs[me] = loc[:6] + (v,) + loc[7:]
                else:
                    self._send(procs, me, tab.dest[i], tab.st[i], v, work)
            fire >>= 1
            i += 1

    def _receive(self, procs: _Procs, me: int, key: int, j: int, k: int, p0: bool,
                 log: list[_Move] | None = None) -> None:
        """Correct process me receives j correct + k faulty (+ the broadcaster's)
        <t, v>, then runs the handler once for v (earlier receipts of a batch
        are idle)."""
        tab = self.tab
        t, v = divmod(key, 2)
        c, a, b, oin, orcv, fired, dl, sent = procs[me]
        first = bool(tab.tok0 & ~fired)
        self.cost += 2 * k + (2 if p0 and not self.p0_correct else 0)
        c = c[:key] + (c[key] + j + k + (1 if p0 else 0),) + c[key + 1:]
        if j:
            a = a[:key] + (a[key] - j,) + a[key + 1:]
        if k:
            b = b[:key] + (b[key] + (-k if self.crash else k),) + b[key + 1:]
        if p0:
            oin &= ~(1 << key)
            orcv |= 1 << key
        fire = 0
        if first:
            fire |= tab.tok0 & ~fired
        if p0:
            fire |= tab.origin_on[t] & ~fired
        for need, mask in tab.levels[t]:
            if need <= c[key]:
                fire |= mask & ~fired
        procs[me] = (c, a, b, oin, orcv, fired | fire, dl, sent)
        work: _Work = []
        self._fire(procs, me, fire, v, work)
        self._drain(procs, work, log)
        self._forget(procs, me)

    def _forget(self, procs: _Procs, me: int) -> None:
        """Zero the counters of types no unfired action reads any more: they
        can never influence a transition or a property again, and forgetting
        them merges states that differ only there."""
        tab = self.tab
        c, a, b, oin, orcv, fired, dl, sent = procs[me]
        if tab.tok0 & ~fired:
            return
        changed = False
        for t in range(tab.types):
            if tab.readers[t] & ~fired:
                continue
            k0 = 2 * t
            if c[k0] or c[k0 + 1] or a[k0] or a[k0 + 1] or b[k0] or b[k0 + 1] \
                    or (oin | orcv) >> k0 & 3:
                c = c[:k0] + (0, 0) + c[k0 + 2:]
                a = a[:k0] + (0, 0) + a[k0 + 2:]
                b = b[:k0] + (0, 0) + b[k0 + 2:]
                oin &= ~(3 << k0)
                orcv &= ~(3 << k0)
                changed = True
        if changed:
            procs[me] = (c, a, b, oin, orcv, fired, dl, sent)

    # -- transitions -----------------------------------------------------------
    def initial(self, log: list[_Move] | None = None) -> _Procs:
        procs = [self.empty(pos) for pos in range(len(self.procs))]
        p0 = self.p0_pos
        if p0 is not None:
            work: _Work = []
            for dmode, st in self.tab.bcast:
                if dmode is None:
                    if p0 < self.nc:
                        procs[p0] = procs[p0][:6] + (0,) + procs[p0][7:]
                else:
                    self._send(procs, p0, dmode, st, 0, work)
            self._drain(procs, work, log)
        return procs

    def choices(self, procs: _Procs, correct_only: bool = False) -> list[_Choice]:
        """Batches at every correct process; of interchangeable processes in
        the same local state only the first is offered (same successor up to
        symmetry)."""
        f1 = self.groups[0][0]
        return [m for q in range(self.nc)
                if q <= f1 or procs[q] != procs[q - 1]
                for m in self._moves(q, procs[q], correct_only)]

    # -- safe receipts -------------------------------------------------------
    def _live(self, procs: _Procs, w: int) -> list[int]:
        """Per correct position, the mask of unfired actions that may still
        fire bound to value w in some continuation (an over-approximation).

        Least fixpoint: an action is live if the messages of its condition
        already received or in transit, plus the faulty senders' remaining
        budget, plus the correct processes that have not yet sent that
        message to q but have a live action that would send it, reach its
        threshold. Every firing of a continuation is supported by earlier
        firings, so by induction on time it is in the fixpoint; the potential
        counts only shrink along a path, so a dead action stays dead.
        """
        tab, nc, T = self.tab, self.nc, self.tab.types
        live = [0] * nc
        unf = [self.allmask & ~procs[q][5] for q in range(nc)]
        byz_ok = self.byz_v[w]
        p0byz = self.track_origin and not self.p0_correct
        p0cor = self.track_origin and self.p0_correct
        others, selfs = self._send_masks
        changed = True
        while changed:
            changed = False
            # per type ct: which correct p may still send <ct, w> to others / to itself
            may_o = [[False] * nc for _ in range(T)]
            may_s = [[False] * nc for _ in range(T)]
            tot = [0] * T
            for p in range(nc):
                lp = live[p]
                if not lp:
                    continue
                sent = procs[p][7]
                for ct in range(T):
                    k = 2 * ct + w
                    if lp & others[ct] and not sent >> (2 * k + 1) & 1:
                        may_o[ct][p] = True
                        tot[ct] += 1
                    if lp & selfs[ct] and not sent >> (2 * k) & 1:
                        may_s[ct][p] = True
            for q in range(nc):
                cand = unf[q] & ~live[q]
                if not cand:
                    continue
                c, a, b, oin, orcv, fired, dl, sent = procs[q]
                for i in range(tab.nact):
                    if not cand >> i & 1:
                        continue
                    kind = tab.kind[i]
                    if kind == _T0:
                        ok = True  # the first receipt may carry either value
                    else:
                        ct = tab.ct[i]
                        k = 2 * ct + w
                        if kind == _ORIGIN:
                            if p0cor:
                                ok = bool(oin >> k & 1) or (may_s[ct][0] if q == 0 else may_o[ct][0])
                            else:
                                ok = byz_ok and not orcv >> k & 1
                        else:
                            pot = c[k] + a[k] + tot[ct] - may_o[ct][q] + may_s[ct][q]
                            if byz_ok:
                                pot += self.nb - b[k]
                                if p0byz and not orcv >> k & 1:
                                    pot += 1
                            if p0cor and oin >> k & 1:
                                pot += 1
                            ok = pot >= tab.need[i]
                    if ok:
                        live[q] |= 1 << i
                        changed = True
        return live

    def _safe(self, loc: _Local, t: int, other_live: int) -> bool:
        """Receipts of <t, v> at a correct process commute with every
        transition of every continuation when none of the actions they could
        fire can fire with the other value, and they are not a first receipt
        (token 0), and no delivery race is possible."""
        fired = loc[5]
        if self.tab.tok0 & ~fired:
            return False
        r = self.tab.readers[t] & ~fired
        if r & other_live:
            return False
        if loc[6] < 0 and r & self.delmask and self.delmask & ~fired & other_live:
            return False
        return True

    def normalize(self, procs: _Procs, log: list[_Move] | None = None) -> None:
        """Receive every safe correct message at once (docs/oracle.md, "Safe
        receipts"): each is independent of everything that can happen before
        it and must happen before quiescence, so it can be taken first."""
        origin = self.track_origin and self.p0_correct
        while True:
            pending = [(q, key) for q in range(self.nc) for key in range(self.K)
                       if procs[q][1][key] or (origin and procs[q][3] >> key & 1)]
            if not pending:
                return
            lives: list[Any] = [None, None]  # per value v: liveness of the other value (list[int])
            did = False
            for q, key in pending:
                loc = procs[q]
                j = loc[1][key]
                p0 = bool(origin and loc[3] >> key & 1)
                if not (j or p0):
                    continue
                t, v = divmod(key, 2)
                if not self.single:
                    if lives[v] is None:
                        lives[v] = self._live(procs, 1 - v)
                    if not self._safe(loc, t, lives[v][q]):
                        continue
                if log is not None:
                    log.append(("batch", self.procs[q], t, v, j, 0, p0))
                self._receive(procs, q, key, j, 0, p0, log)
                did = True
            if not did:
                return

    def _moves(self, q: int, loc: _Local, correct_only: bool) -> Iterator[_Choice]:
        """Lazy batches at q: (position, key, j, k, p0) = receive j correct and
        k faulty <t, v> (and the broadcaster's, if p0), firing at the last.

        Correct messages are always preferred to faulty ones for the same
        (t, v): a state that spent a faulty send where a correct message was
        in transit is simulated by the state that did not (the faulty process
        sends when the other execution receives that correct message), so only
        the split with the most correct messages is explored.
        """
        tab = self.tab
        c, a, b, oin, orcv, fired, dl, sent = loc
        first = bool(tab.tok0 & ~fired)
        unread_done: set[tuple[int, str]] = set()  # (value, source) already offered for an unread type
        for key in range(self.K):
            t = key >> 1
            p0_avail = False
            if self.track_origin:
                if self.p0_correct:
                    p0_avail = bool((oin >> key) & 1)
                elif correct_only:
                    pass
                elif self.crash:
                    p0_avail = bool((oin >> key) & 1)
                elif self.byz_v[key & 1]:
                    p0_avail = not (orcv >> key) & 1
            A = a[key]
            if correct_only:
                B = 0
            elif self.crash:
                B = b[key]
            else:
                B = self.nb - b[key] if self.byz_v[key & 1] else 0
            if first:
                # the very first receipt fires the token-0 actions: one at a time;
                # for types nobody reads, one type stands for all of them
                for src, ok in (("c", A), ("b", B and not A), ("p", p0_avail)):
                    if not ok:
                        continue
                    if not tab.readers[t]:
                        if (key & 1, src) in unread_done:
                            continue
                        unread_done.add((key & 1, src))
                    yield (q, key, 1 if src == "c" else 0, 1 if src == "b" else 0, src == "p")
                continue
            if p0_avail and tab.origin_on[t] & ~fired:
                yield (q, key, 0, 0, True)  # the broadcaster's message fires `origin`
                p0_plain = False
            else:
                p0_plain = p0_avail
            level = None
            for need, mask in tab.levels[t]:
                if need > c[key] and mask & ~fired:
                    level = need
                    break
            if level is None:
                continue
            gap = level - c[key]
            j = min(A, gap)
            rest = gap - j
            use_p0 = False
            if self.p0_correct:  # the broadcaster's message is a correct one
                if rest and p0_plain:
                    use_p0, rest = True, rest - 1
                kb = rest
            else:  # a faulty broadcaster is one more faulty sender
                kb = min(rest, B)
                if rest > kb and p0_plain:
                    use_p0, rest = True, rest - 1
            if rest == kb <= B:
                yield (q, key, j, kb, use_p0)

    def step(self, procs: _Procs, ch: _Choice, log: list[_Move] | None = None) -> _Procs:
        """Successor by one batch, normalized; self.cost is then the number
        of concrete steps it stands for (each correct message counted once,
        when sent, for its receipt; faulty sends two each)."""
        q, key, j, k, p0 = ch
        nxt = list(procs)
        self.cost = 0
        if log is not None:
            log.append(("batch", self.procs[q], key >> 1, key & 1, j, k, p0))
        self._receive(nxt, q, key, j, k, p0, log)
        self.normalize(nxt, log)
        return nxt

    def delivered(self, procs: _Procs) -> list[int | None]:
        out: list[int | None] = [None] * self.sc.n
        for pos in range(self.nc):
            dl = procs[pos][6]
            out[self.procs[pos]] = None if dl < 0 else dl
        return out

    def search(self, guard: Callable[[int], object] = lambda states: None,
               goal: _Goal | None = None, shortest: bool = True) -> _Found:
        """The highest-priority property violated in a quiescent state, with
        the moves of one counterexample.

        shortest: a uniform-cost search over normalized states, so the first
        violating quiescent state taken from the queue for a property is the
        one with the fewest concrete steps (docs/oracle.md, "Shortest").
        Otherwise a depth-first search: the same states and the same verdict
        (a search that does not meet the highest-priority property the
        scenario can violate explores every state either way), but quiescent
        states, where violations are, are reached at once instead of after
        every shorter prefix; its counterexample is a real one, not always a
        shortest one.

        goal(scenario, delivered): only quiescent states it accepts count as
        violations (rbengine.proof looks for one kind of violation, e.g. two
        values delivered, which a higher-priority property would otherwise hide)."""
        import heapq
        init = self.initial()
        self.normalize(init)
        start = self.canon(init)
        dist = {start: 0}
        parent: dict[_Key, tuple[_Key, _Choice] | None] = {start: None}
        heap = [(0, 0, start)]
        stack = [start]
        tick = 0
        found: list[_Key | None] = [None] * len(PROPERTIES)
        sc = self.sc
        top = PROPERTIES.index(possible(sc)[0])  # nothing can outrank it: stop there
        while heap if shortest else stack:
            if shortest:
                g, _, key = heapq.heappop(heap)
                if g > dist[key]:
                    continue
            else:
                key = stack.pop()
            guard(len(parent))
            procs = list(key)
            if not self.choices(procs, correct_only=True):  # quiescent
                dl = self.delivered(procs)
                prop = violated(sc, dl) if goal is None or goal(sc, dl) else None
                if prop is not None:
                    pri = PROPERTIES.index(prop)
                    if found[pri] is None:
                        found[pri] = key
                        if pri == top:
                            break
            for ch in self.choices(procs):
                nxt = self.step(procs, ch)
                nkey = self.canon(nxt)
                if not shortest:
                    if nkey not in parent:
                        parent[nkey] = (key, ch)
                        stack.append(nkey)
                    continue
                ng = g + self.cost
                old = dist.get(nkey)
                if old is None or ng < old:
                    dist[nkey] = ng
                    parent[nkey] = (key, ch)
                    tick += 1
                    heapq.heappush(heap, (ng, tick, nkey))
        rank = next((r for r, k in enumerate(found) if k is not None), None)
        if rank is None:
            return None, len(parent), None
        last = cast(_Key, found[rank])
        chain: list[tuple[_Key, _Choice]] = []
        k = last
        while parent[k] is not None:
            k, ch = cast("tuple[_Key, _Choice]", parent[k])
            chain.append((k, ch))
        chain.reverse()
        moves: list[_Move] = []
        procs = self.initial(moves)
        self.normalize(procs, moves)
        for i, (key, ch) in enumerate(chain):
            target = chain[i + 1][0] if i + 1 < len(chain) else last
            procs = self._follow(procs, key, ch, target, moves)
        moves.append(("finish",))
        return PROPERTIES[rank], len(parent), moves

    def _follow(self, procs: _Procs, key: _Key, ch: _Choice, target: _Key,
                moves: list[_Move]) -> _Procs:
        """Take, from concrete-identity positions procs (canon(procs) == key),
        the move ch chosen on the canonical key: at a position holding the
        same local state, in the same group of interchangeable processes."""
        q = ch[0]
        lo, hi = next(((a, b) for a, b in self.groups if a <= q < b), (q, q + 1))
        for pos in [q] + [p for p in range(lo, hi) if p != q]:
            if procs[pos] == key[q]:
                trial = self.step(procs, (pos,) + ch[1:])
                if self.canon(trial) == target:
                    return self.step(procs, (pos,) + ch[1:], moves)
        for alt in self.choices(procs):  # pragma: no cover - defensive
            if self.canon(self.step(procs, alt)) == target:
                return self.step(procs, alt, moves)
        raise AssertionError("counterexample path lost")


def check(candidate: Candidate, scenario: Scenario, types: int | None = None,
          cancel: Callable[[], bool] | None = None, timeout: float | None = None,
          max_states: int = MAX_STATES, goal: _Goal | None = None, shortest: bool = True,
          **_: object) -> ScenarioResult:
    """goal, shortest: see _Counter.search (crash and byzantine only; the
    failure-free mode has one run, so its counterexample is the shortest)."""
    if scenario.mode == "none":
        if goal is not None:
            raise OracleError("a goal applies to the crash and byzantine modes only")
        greedy = _NoFailure(candidate, scenario, types)
        prop, states, moves = greedy.search(_Guard(cancel, timeout, max_states))
    else:
        engine = _Counter(candidate, scenario, types)
        prop, states, moves = engine.search(_Guard(cancel, timeout, max_states), goal=goal,
                                            shortest=shortest)
    if prop is None:
        return ScenarioResult(None, states, None)
    cx = concretize(candidate, scenario, cast("list[_Move]", moves), prop, types)  # a violation has moves
    if not shortest and scenario.mode != "none":
        cx = replace(cx, shortest=False)
    return ScenarioResult(prop, states, cx)


class BuiltinBackend:
    """The in-process counting search (docs/oracle.md): no compiler, fast at
    every N the tool allows."""

    name = "builtin"
    description = "built-in counting checker (in process, symmetry- and order-reduced)"

    def unavailable(self) -> str | None:
        return None

    def check(self, candidate: Candidate, scenario: Scenario, *, types: int | None = None,
              cancel: Callable[[], bool] | None = None, timeout: float | None = None,
              **options: Any) -> ScenarioResult:
        return check(candidate, scenario, types=types, cancel=cancel, timeout=timeout,
                     **options)


BACKEND = BuiltinBackend()
