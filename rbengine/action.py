"""An action = logic + condition (docs/semantics.md §1, the paper's §4.1)."""

from __future__ import annotations

from dataclasses import dataclass

from . import threshold as thr
from .errors import CandidateError

SEND_ALL = "send_all"
SEND_NEIGHBOURS = "send_neighbours"
SEND_MYSELF = "send_myself"
DELIVER = "deliver"
STOP = "stop"

SENDS = (SEND_ALL, SEND_NEIGHBOURS, SEND_MYSELF)
LOGICS = (SEND_ALL, SEND_NEIGHBOURS, SEND_MYSELF, DELIVER, STOP)

_LOGIC_ALIASES = {
    "send_all": SEND_ALL, "sendall": SEND_ALL, "all": SEND_ALL, "send_to_all": SEND_ALL,
    "send_neighbours": SEND_NEIGHBOURS, "send_neighbors": SEND_NEIGHBOURS,
    "neighbours": SEND_NEIGHBOURS, "send_to_neighbours": SEND_NEIGHBOURS,
    "send_myself": SEND_MYSELF, "myself": SEND_MYSELF, "send_to_myself": SEND_MYSELF,
    "deliver": DELIVER, "stop": STOP,
}


def normalize_logic(logic: object) -> str:
    if not isinstance(logic, str) or logic.lower() not in _LOGIC_ALIASES:
        raise CandidateError(f"unknown logic {logic!r} (known: {', '.join(LOGICS)})")
    return _LOGIC_ALIASES[logic.lower()]


def _type(value: object, what: str) -> int:
    if isinstance(value, str):
        v = value.strip().lower()
        if v.startswith("type"):
            v = v[4:]
        if v.isascii() and v.isdigit():
            value = int(v)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 15:
        raise CandidateError(f"bad {what} {value!r}: expected a type number 0..15")
    return value


@dataclass(frozen=True, order=True)
class Action:
    """One action. Token ``0`` is type-agnostic, so its cond_type is always 0;
    STOP carries the tautology; DELIVER and STOP have no send type."""

    logic: str
    send_type: int | None
    cond_type: int
    threshold: str

    @classmethod
    def make(cls, logic: object, send_type: object = None, cond_type: object = 0,
             threshold: object = "0") -> "Action":
        lg = normalize_logic(logic)
        tok = thr.normalize(threshold)
        if lg in SENDS:
            if send_type is None:
                raise CandidateError(f"{lg} needs a message type")
            st: int | None = _type(send_type, "send type")
        else:
            if send_type is not None:
                raise CandidateError(f"{lg} takes no message type (got {send_type!r})")
            st = None
        if lg == STOP:
            tok = "0"
        ct = 0 if tok == "0" else _type(cond_type, "condition type")
        return cls(lg, st, ct, tok)

    @property
    def is_send(self) -> bool:
        return self.logic in SENDS

    @property
    def is_stop(self) -> bool:
        return self.logic == STOP

    def to_json(self) -> list[str | int | None]:
        return [self.logic, self.send_type, self.cond_type, self.threshold]

    def types_used(self) -> set[int]:
        used = set()
        if self.send_type is not None:
            used.add(self.send_type)
        if self.threshold != "0":
            used.add(self.cond_type)
        return used

    def sort_key(self) -> tuple[int, int, int, int]:
        return (thr.rank(self.threshold), self.cond_type, LOGICS.index(self.logic),
                -1 if self.send_type is None else self.send_type)


STOP_ACTION = Action(STOP, None, 0, "0")
