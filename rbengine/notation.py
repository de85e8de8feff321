"""Text a person can type and read: the compact notation and the paper's
pseudo-code (Algorithms 1-3).

Compact notation, one handler per line (or separated by ``|``), actions by ``;``::

    broadcast: send_all type0
    receive: send_all type1 if type0 from 1; deliver if type1 from (N+F)/2

An action without ``if`` has the tautology (token 0); ``stop`` may be written
but is implied.
"""

from __future__ import annotations

import re

from .action import DELIVER, SEND_ALL, SEND_MYSELF, SEND_NEIGHBOURS, STOP, Action
from .candidate import HANDLERS, Candidate
from .errors import CandidateError

_HANDLER_RE = re.compile(r"\b(broadcast|receive)\s*:", re.IGNORECASE)
_ACTION_RE = re.compile(
    r"^(?P<logic>[a-z_]+)(?:\s+(?P<stype>type\d+))?"
    r"(?:\s+if\s+(?:(?P<ctype>type\d+)\s+from\s+(?P<tok>.+?)|(?P<zero>0|true|always)))?$",
    re.IGNORECASE,
)


def parse_action(text: str) -> Action:
    t = " ".join(text.strip().split())
    m = _ACTION_RE.match(t)
    if not m:
        raise CandidateError(f"cannot read action {text.strip()!r}: expected e.g. "
                             "'send_all type1 if type0 from F+1' or 'deliver if type1 from (N+F)/2'")
    stype = m["stype"]
    if m["tok"]:
        return Action.make(m["logic"], stype, m["ctype"], m["tok"])
    return Action.make(m["logic"], stype, 0, "0")


def parse(text: str) -> Candidate:
    """The compact notation; lines starting with ``#`` are comments."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    parts = _HANDLER_RE.split(text)
    if len(parts) < 3 or parts[0].strip(" \t\n|"):
        raise CandidateError("expected 'broadcast: ...' and/or 'receive: ...' (or a JSON object)")
    handlers: dict[str, list[Action]] = {h: [] for h in HANDLERS}
    seen = set()
    for name, body in zip(parts[1::2], parts[2::2]):
        name = name.lower()
        if name in seen:
            raise CandidateError(f"handler {name!r} given twice")
        seen.add(name)
        stopped = False
        for piece in re.split(r"[;\n]", body.strip().strip("|")):
            piece = piece.strip().strip("|").strip()
            if not piece:
                continue
            try:
                act = parse_action(piece)
            except CandidateError as exc:
                raise CandidateError(f"{name}: {exc}") from None
            if stopped:
                raise CandidateError(f"{name}: action after stop")
            if act.is_stop:
                stopped = True
                continue
            handlers[name].append(act)
    return Candidate(tuple(handlers["broadcast"]), tuple(handlers["receive"]))


def format_action(a: Action) -> str:
    if a.logic in (DELIVER, STOP):
        head = a.logic
    else:
        head = f"{a.logic} type{a.send_type}"
    if a.threshold == "0":
        return head
    return f"{head} if type{a.cond_type} from {a.threshold}"


def format_candidate(c: Candidate, sep: str = "\n") -> str:
    return sep.join(f"{h}:" + "".join((" " if i == 0 else "; ") + format_action(a)
                                       for i, a in enumerate(c.handler(h)))
                    for h in HANDLERS)


_PSEUDO_LOGIC = {
    SEND_ALL: "SEND to all(<type{t}, m>)",
    SEND_NEIGHBOURS: "SEND to neighbours(<type{t}, m>)",
    SEND_MYSELF: "SEND to myself(<type{t}, m>)",
    DELIVER: "DELIVER(<m>)",
    STOP: "STOP",
}


def pseudo_action(a: Action) -> str:
    logic = _PSEUDO_LOGIC[a.logic].format(t=a.send_type)
    return _pseudo_line(a, logic, f"received (<type{a.cond_type}, m>)", a.threshold)


def _pseudo_line(a: Action, logic: str, received: str, threshold: str) -> str:
    """One pseudo-code line, in text or LaTeX: the condition's wording and the
    once-only guard are the same in both."""
    if a.threshold == "origin":
        cond = f"{received} from the broadcaster"
    else:
        parties = "party" if a.threshold == "1" else "parties"
        cond = f"{received} from {threshold} distinct {parties}"
    guard = ""
    if a.is_send:
        guard = " and not already sent"
    elif a.logic == DELIVER:
        guard = " and not already delivered"
    return f"{logic} if {cond}{guard};"


def pseudo(c: Candidate, title: str | None = None) -> str:
    """The paper's numbered pseudo-code, STOP lines included."""
    lines = []
    if title:
        lines.append(title)
    n = 1
    for h, event in (("broadcast", "when RB-Broadcast(m) do:"), ("receive", "when receive(m) do:")):
        lines.append(f"{n:>2}: {event}")
        n += 1
        for a in c.handler(h) + (Action(STOP, None, 0, "0"),):
            lines.append(f"{n:>2}:     {pseudo_action(a)}")
            n += 1
    return "\n".join(lines)


#: What the LaTeX block needs in the preamble: algorithmicx's \State (the
#: algpseudocode style) inside the algorithm float, not algorithmic's \STATE.
LATEX_PACKAGES = ("algorithm", "algpseudocode")

#: Thresholds as the number of distinct senders they require (docs/semantics.md §1).
_LATEX_THRESHOLD = {
    "0": "0", "1": "1", "F+1": "F+1", "(N+F)/2": r"\lfloor (N+F)/2 \rfloor + 1",
    "N-F": "N-F", "2F+1": "2F+1",
}

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$",
                  "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def _latex_text(s: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in s)


def _latex_message(t: int | None) -> str:
    return r"$\langle m \rangle$" if t is None else rf"$\langle \mathit{{type}}_{{{t}}}, m \rangle$"


def latex_action(a: Action) -> str:
    """pseudo_action typeset: messages and thresholds as mathematics."""
    logic = {SEND_ALL: "SEND to all", SEND_NEIGHBOURS: "SEND to neighbours",
             SEND_MYSELF: "SEND to myself", DELIVER: "DELIVER", STOP: "STOP"}[a.logic]
    if a.is_send:
        logic += f"({_latex_message(a.send_type)})"
    elif a.logic == DELIVER:
        logic += f"({_latex_message(None)})"
    threshold = "" if a.threshold == "origin" else f"${_LATEX_THRESHOLD[a.threshold]}$"
    return _pseudo_line(a, logic, f"received ({_latex_message(a.cond_type)})", threshold)


def latex(c: Candidate, caption: str = "Generated RBCast algorithm") -> str:
    """The paper's pseudo-code as an algorithm float for papers; its first
    lines name the packages it needs."""
    uses = " and ".join(rf"\usepackage{{{p}}}" for p in LATEX_PACKAGES)
    out = [f"% needs {uses} in the preamble",
           r"\begin{algorithm}", rf"\caption{{{_latex_text(caption)}}}", r"\begin{algorithmic}[1]"]
    for h, event in (("broadcast", "RB-Broadcast($m$)"), ("receive", "receive($m$)")):
        out.append(rf"\State \textbf{{when}} {event} \textbf{{do}}:")
        for a in c.handler(h) + (Action(STOP, None, 0, "0"),):
            out.append(r"\State \quad " + latex_action(a))
    out += [r"\end{algorithmic}", r"\end{algorithm}"]
    return "\n".join(out)
