"""Plain-text presentation helpers shared by the screens (no widgets here)."""

from __future__ import annotations

from rbengine.counterexample import VALUES, Counterexample, Step, msg_text
from rbengine.mode import get as get_mode
from rbengine.verdict import Verdict


def process_role(cx: Counterexample, p: int) -> str:
    if p in cx.faulty:
        return get_mode(cx.mode).faulty_label
    return "correct"


def step_row(step: Step) -> tuple[str, str, str, str]:
    """(who, what, message, state change) for the step table."""
    who = f"p{step.process}"
    if step.kind == "broadcast":
        what, message = "RB-Broadcast", "m"
    elif step.kind == "receive":
        what, message = "receive", f"{msg_text(*step.msg)} from p{step.sender}"
    elif step.kind == "emit":
        d, t, v = step.sends[0]
        what, message = "send (crash-prone)", f"{msg_text(t, v)} to p{d}"
    elif step.kind == "crash":
        what, message = "CRASH", ""
    elif step.kind == "byzantine":
        d, t, v = step.sends[0]
        what, message = "Byzantine send", f"{msg_text(t, v)} to p{d}"
    else:
        what, message = step.kind, ""
    return who, what, message, state_change(step)


def state_change(step: Step) -> str:
    parts = []
    if step.kind == "crash":
        parts.append("stops" + (f"; {len(step.dropped)} pending send(s) lost" if step.dropped else ""))
    if step.kind in ("broadcast", "receive"):
        if step.fired:
            parts.append("fires " + "; ".join(step.fired))
        if step.sends:
            dests = sorted({d for d, _t, _v in step.sends})
            kinds = sorted({(t, v) for _d, t, v in step.sends})
            parts.append("sends " + ", ".join(msg_text(t, v) for t, v in kinds)
                         + " to " + ",".join(f"p{d}" for d in dests))
        if step.delivered is not None:
            parts.append(f"DELIVERS {VALUES[step.delivered]}")
    return " | ".join(parts) if parts else "-"


def delivered_text(cx: Counterexample) -> str:
    return ", ".join(f"p{p}: {VALUES[v] if v is not None else '-'}"
                     for p, v in sorted(cx.delivered.items()))


def scenario_label(check) -> str:
    att = f" {check.attacker}" if check.attacker else ""
    return f"{check.mode}{att} N={check.n} F={check.f} {check.scenario}"


def verdict_from_json(data: dict, backend: str = "") -> Verdict:
    """A Verdict from Verdict.to_json() (as the learner's cache and the store keep
    it): the counterexample goes to the first failing check."""
    return Verdict.from_json(data, backend)


def verdict_from_record(record) -> Verdict:
    """A Verdict from an rbengine.cache.VerdictRecord."""
    return verdict_from_json(record.data, record.backend)
