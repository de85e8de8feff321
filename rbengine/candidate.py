"""A candidate algorithm: two handlers of actions (docs/semantics.md §1, §6).

Identity is the multiset of actions per handler (the paper's §4.2: order is
irrelevant), so every comparison, cache key and hash uses the canonical form.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .action import STOP, Action
from .errors import CandidateError

HANDLERS = ("broadcast", "receive")


@dataclass(frozen=True)
class Candidate:
    broadcast: tuple[Action, ...] = ()
    receive: tuple[Action, ...] = ()

    # ---- identity -------------------------------------------------------
    def canonical(self) -> "Candidate":
        return Candidate(tuple(sorted(self.broadcast, key=Action.sort_key)),
                         tuple(sorted(self.receive, key=Action.sort_key)))

    def key(self) -> str:
        """Canonical JSON text: equal for candidates equal as multisets."""
        c = self.canonical()
        return json.dumps({"broadcast": [a.to_json() for a in c.broadcast],
                           "receive": [a.to_json() for a in c.receive]},
                          separators=(",", ":"))

    def content_hash(self) -> str:
        """Stable across runs, platforms and Python versions (sha256, not hash())."""
        return hashlib.sha256(self.key().encode()).hexdigest()[:16]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Candidate) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def handler(self, name: str) -> tuple[Action, ...]:
        return self.broadcast if name == "broadcast" else self.receive

    def with_action(self, handler: str, action: Action) -> "Candidate":
        if handler == "broadcast":
            return Candidate(self.broadcast + (action,), self.receive)
        return Candidate(self.broadcast, self.receive + (action,))

    def types(self) -> int:
        """Number of message types the candidate mentions (at least 1)."""
        used = {t for a in self.broadcast + self.receive for t in a.types_used()}
        return max(used) + 1 if used else 1

    def uses_origin(self) -> bool:
        return any(a.threshold == "origin" for a in self.broadcast + self.receive)

    # ---- JSON (§6) ------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        stop = [STOP, None, 0, "0"]
        return {"broadcast": [a.to_json() for a in self.broadcast] + [stop],
                "receive": [a.to_json() for a in self.receive] + [stop]}

    def dumps(self) -> str:
        d = self.to_json()
        lines = ["{"]
        for i, h in enumerate(HANDLERS):
            items = ",\n    ".join(json.dumps(a) for a in d[h])
            lines.append(f'  "{h}": [\n    {items}\n  ]' + ("," if i == 0 else ""))
        lines.append("}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_json(cls, data: object) -> "Candidate":
        if not isinstance(data, dict):
            raise CandidateError("a candidate is a JSON object with 'broadcast' and 'receive' lists")
        unknown = set(data) - set(HANDLERS)
        if unknown:
            raise CandidateError(f"unknown key(s) in candidate: {', '.join(sorted(unknown))}")
        handlers = {}
        for h in HANDLERS:
            items = data.get(h, [])
            if not isinstance(items, list):
                raise CandidateError(f"'{h}' must be a list of actions")
            acts: list[Action] = []
            stopped = False
            for i, item in enumerate(items):
                where = f"{h}[{i}]"
                if not isinstance(item, (list, tuple)) or len(item) != 4:
                    raise CandidateError(f"{where}: an action is [logic, send_type, cond_type, "
                                         f"threshold], got {item!r}")
                try:
                    act = Action.make(*item)
                except CandidateError as exc:
                    raise CandidateError(f"{where}: {exc}") from None
                if stopped:
                    raise CandidateError(f"{where}: action after STOP (STOP ends a handler's list)")
                if act.is_stop:
                    stopped = True
                    continue
                acts.append(act)
            handlers[h] = tuple(acts)
        return cls(handlers["broadcast"], handlers["receive"])

    @classmethod
    def loads(cls, text: str) -> "Candidate":
        """JSON text, or (when it is not JSON) the compact text notation."""
        stripped = text.strip()
        if stripped.startswith(("{", "[")):
            try:
                data = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise CandidateError(f"malformed JSON at line {exc.lineno} column {exc.colno}: "
                                     f"{exc.msg}") from None
            return cls.from_json(data)
        from .notation import parse
        return parse(text)

    @classmethod
    def load(cls, path: str | Path) -> "Candidate":
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CandidateError(f"cannot read {p}: {getattr(exc, 'strerror', None) or exc}") from None
        try:
            return cls.loads(text)
        except CandidateError as exc:
            raise CandidateError(f"{p}: {exc}") from None

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.dumps(), encoding="utf-8")

    # ---- text ------------------------------------------------------------
    def notation(self) -> str:
        from .notation import format_candidate
        return format_candidate(self)

    def __str__(self) -> str:
        return self.notation()


