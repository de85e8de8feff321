"""Efficiency of a candidate (the paper's §2.3.4): messages sent, communication
steps, and messages a process must receive to deliver.

The model is static and worst-case, as in the paper:

- **Messages.** A process sends each <t, m> at most once to each destination
  (docs/semantics.md §3), so within one handler the messages of type t go to the
  *union* of the destinations of that handler's sends of type t (all ∪ anything
  = N, neighbours ∪ myself = N, neighbours = N-1, myself = 1). The RB-Broadcast
  handler runs once, at the broadcaster, where nothing has been received: only
  its token-0 actions can fire. The receive handler runs at each of the N
  processes and, in the worst case, all its actions fire. When both handlers
  send the same type, the broadcaster's receive-handler sends that repeat its
  broadcast sends are not sent again, so that overlap is subtracted.
- **Communication steps.** The number of message types that travel between
  processes (sent by a send_all or send_neighbours that can fire): the paper's
  "number of types, as there are no loops", where a send to oneself is not a
  communication step.
- **To deliver.** The threshold of the receive handler's easiest DELIVER: a
  process needs at least one message to run its receive handler at all, so
  token 0 counts as 1.

Calibration (the paper's Algorithms 1-3 and the follow-up's Fig. 3): N, 1, 1;
N^2 - N + 1, 1, 1; N^2 + N, 2, (N+F)/2; N^2 - 1, 2, F+1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from . import threshold as thr
from .action import DELIVER, SEND_ALL, SEND_MYSELF, SEND_NEIGHBOURS, Action
from .candidate import Candidate


@dataclass(frozen=True)
class Poly:
    """a*N^2 + b*N + c with integer coefficients."""

    a: int = 0
    b: int = 0
    c: int = 0

    def __call__(self, n: int) -> int:
        return self.a * n * n + self.b * n + self.c

    def __add__(self, other: "Poly") -> "Poly":
        return Poly(self.a + other.a, self.b + other.b, self.c + other.c)

    def __sub__(self, other: "Poly") -> "Poly":
        return Poly(self.a - other.a, self.b - other.b, self.c - other.c)

    def times_n(self) -> "Poly":
        if self.a:
            raise ValueError("only linear polynomials can be multiplied by N")
        return Poly(self.b, self.c, 0)

    def __str__(self) -> str:
        terms: list[str] = []
        for coef, var in ((self.a, "N^2"), (self.b, "N"), (self.c, "")):
            if coef == 0:
                continue
            mag = abs(coef)
            body = var if (var and mag == 1) else f"{mag}{var}"
            if not terms:
                terms.append(("-" if coef < 0 else "") + body)
            else:
                terms.append(("- " if coef < 0 else "+ ") + body)
        return " ".join(terms) if terms else "0"

    def to_json(self) -> list[int]:
        return [self.a, self.b, self.c]


@dataclass(frozen=True)
class Dests:
    """The destinations of a process's sends, relative to itself."""

    me: bool = False
    others: bool = False

    def __or__(self, other: "Dests") -> "Dests":
        return Dests(self.me or other.me, self.others or other.others)

    def __and__(self, other: "Dests") -> "Dests":
        return Dests(self.me and other.me, self.others and other.others)

    def size(self) -> Poly:
        """Number of destinations: me -> 1, others -> N - 1."""
        return Poly(0, int(self.others), int(self.me) - int(self.others))


_DESTS = {
    SEND_ALL: Dests(True, True),
    SEND_NEIGHBOURS: Dests(False, True),
    SEND_MYSELF: Dests(True, False),
}


def firing_actions(candidate: Candidate, handler: str) -> tuple[Action, ...]:
    """Actions of a handler that can fire: in RB-Broadcast only token-0 ones
    (nothing has been received there)."""
    acts = candidate.handler(handler)
    if handler == "broadcast":
        return tuple(a for a in acts if a.threshold == thr.ZERO)
    return acts


def _dests_by_type(actions: Iterable[Action]) -> dict[int, Dests]:
    out: dict[int, Dests] = {}
    for a in actions:
        if a.is_send:
            t = cast(int, a.send_type)  # a send has a message type
            out[t] = out.get(t, Dests()) | _DESTS[a.logic]
    return out


def messages_by_type(candidate: Candidate) -> dict[int, Poly]:
    """Worst-case number of messages of each type, as a polynomial in N."""
    b = _dests_by_type(firing_actions(candidate, "broadcast"))
    r = _dests_by_type(firing_actions(candidate, "receive"))
    out: dict[int, Poly] = {}
    for t in sorted(set(b) | set(r)):
        bd, rd = b.get(t, Dests()), r.get(t, Dests())
        out[t] = bd.size() + rd.size().times_n() - (bd & rd).size()
    return out


def messages(candidate: Candidate) -> Poly:
    """Worst-case number of messages sent in one broadcast instance."""
    total = Poly()
    for p in messages_by_type(candidate).values():
        total = total + p
    return total


def messages_n(candidate: Candidate, n: int) -> int:
    return messages(candidate)(n)


def network_types(candidate: Candidate) -> set[int]:
    """Types sent to other processes by an action that can fire."""
    return {cast(int, a.send_type) for h in ("broadcast", "receive") for a in firing_actions(candidate, h)
            if a.logic in (SEND_ALL, SEND_NEIGHBOURS)}


def steps(candidate: Candidate) -> int:
    """Communication steps: message types that travel between processes."""
    return len(network_types(candidate))


def _needed(token: str, n: int, f: int) -> int:
    return max(1, thr.value(token, n, f))


def to_deliver(candidate: Candidate, n: int = 4, f: int = 1) -> tuple[str | None, int | None]:
    """(token, number at N, F) of the messages a process must receive before it
    can deliver, or (None, None) when the receive handler never delivers.
    Token 0 reads "1": the receive handler only runs on a receipt."""
    best: tuple[int, int, str] | None = None
    for a in candidate.receive:
        if a.logic != DELIVER:
            continue
        tok = "1" if a.threshold == thr.ZERO else a.threshold
        key = (_needed(tok, n, f), thr.rank(tok), tok)
        if best is None or key < best:
            best = key
    if best is None:
        return None, None
    return best[2], best[0]


def cost(candidate: Candidate, n: int = 4, f: int = 1) -> tuple[int, int, int]:
    """(messages, steps, messages to deliver) at (N, F), smaller is better; a
    candidate that never delivers counts N + 1 messages to deliver."""
    _tok, need = to_deliver(candidate, n, f)
    return (messages_n(candidate, n), steps(candidate), n + 1 if need is None else need)


def to_json(candidate: Candidate, n: int = 4, f: int = 1) -> dict[str, Any]:
    poly = messages(candidate)
    tok, need = to_deliver(candidate, n, f)
    return {"n": n, "f": f,
            "messages": str(poly), "messages_poly": poly.to_json(), "messages_n": poly(n),
            "messages_by_type": {f"type{t}": str(p) for t, p in messages_by_type(candidate).items()},
            "steps": steps(candidate),
            "to_deliver": tok, "to_deliver_n": need}


def text(candidate: Candidate, n: int = 4, f: int = 1) -> str:
    """Three readable lines."""
    d = to_json(candidate, n, f)
    deliver = ("never delivers" if d["to_deliver"] is None
               else f"{d['to_deliver']} (= {d['to_deliver_n']} at N={n}, F={f})")
    return "\n".join([
        f"messages sent (worst case): {d['messages']} (= {d['messages_n']} at N={n})",
        f"communication steps:        {d['steps']}",
        f"messages to deliver:        {deliver}",
    ])
