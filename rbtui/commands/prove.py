"""``rbtui prove FILE``: what holds of a candidate for every size, and what does not.

rbengine.proof proves RB-Integrity and consistency (no two correct processes
deliver different values) for all N > 3F at once; RB-Agreement (which also
needs totality) and RB-Validity are outside its reach. For every property not
proved, the built-in backend looks for a real violation at concrete sizes.
Exit status 0 when every property asked for is proved, 1 otherwise, 2 on an
error.
"""

from __future__ import annotations

import argparse
import json

from rbengine.proof import confirm
from rbengine.proof import prove as prove_all

from ._common import Style, add_attacker_argument, add_candidate_argument, read_candidate

PROVABLE = ("integrity", "consistency")
UNCOVERED = ("agreement", "validity")
TITLE = {"integrity": "RB-Integrity", "consistency": "consistency",
         "agreement": "RB-Agreement", "validity": "RB-Validity"}
STATES = {"integrity": "with a correct broadcaster, no correct process delivers a value "
                       "other than m",
          "consistency": "no two correct processes deliver different values (the safety "
                         "half of RB-Agreement)",
          "agreement": "all correct processes deliver the same value, or none delivers",
          "validity": "a correct broadcaster delivers m"}
WHY_NOT = {"agreement": "the method proves only its consistency half; totality (once a "
                        "correct process delivers, every correct one does) is not covered",
           "validity": "a property of quiescent states that needs lower bounds on what "
                       "arrives; the method over-approximates only, so it is not covered"}


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "prove", help="prove integrity and consistency for every N > 3F",
        description="Check a candidate's parameterized counter abstraction with z3 for every "
                    "N > 3F and every number f <= F of Byzantine processes at once, and print "
                    "per property whether it is proved for all sizes; for a property not "
                    "proved, look for a real violation with the built-in backend at concrete "
                    "sizes. Exit status: 0 every property asked for proved, 1 otherwise, 2 error.")
    add_candidate_argument(p)
    add_attacker_argument(p)
    p.add_argument("--property", action="append", choices=PROVABLE + UNCOVERED,
                   dest="properties", metavar="P",
                   help="a property the exit status depends on (repeatable; default: "
                        "integrity and consistency, the ones the method can prove)")
    p.add_argument("--timeout", type=float, metavar="S", default=30.0,
                   help="seconds per size of the concrete search (default 30)")
    p.add_argument("--no-search", action="store_true", dest="no_search",
                   help="do not look for concrete violations")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run)
    return p


def _entry(prop: str, results: list, cand, args) -> dict:
    mine = [r for r in results if r.property == prop]
    e = {"property": prop, "title": TITLE[prop], "states": STATES[prop],
         "proved": prop in PROVABLE and bool(mine) and all(r.proved for r in mine),
         "scenarios": [r.to_json() for r in mine], "reason": None, "violation": None}
    if e["proved"]:
        e["reason"] = "no reachable abstract state violates it (depth " \
                      f"{max(r.depth for r in mine)}, complete)"
        return e
    failed = next((r for r in mine if not r.proved), None)
    if prop in UNCOVERED:
        e["reason"] = WHY_NOT[prop]
        sizes, scenario = confirm.sizes_from(4, None), None
    elif failed.witness is None:
        e["reason"] = failed.reason
        return e
    else:
        w = failed.witness
        e["reason"] = (f"the abstraction reaches a violation at N={w['N']} F={w['F']} "
                       f"f={w['f']} ({failed.scenario})")
        sizes, scenario = confirm.sizes_from(w["N"], w["F"]), failed.scenario
    if not args.no_search:
        e["violation"] = confirm.timed(confirm.find, cand, prop, sizes, attacker=args.attacker,
                                       scenario=scenario, seconds=args.timeout)
    return e


def report(cand, args) -> dict:
    proof = prove_all(cand, properties=PROVABLE, attacker=args.attacker)
    entries = [_entry(p, proof.results, cand, args) for p in PROVABLE + UNCOVERED]
    asked = args.properties or list(PROVABLE)
    return {"file": args.file, "mode": proof.mode, "attacker": proof.attacker,
            "scope": "every N > 3F and every f <= F Byzantine processes, the broadcaster "
                     "correct or Byzantine",
            "asked": asked, "proved": all(e["proved"] for e in entries if e["property"] in asked),
            "properties": entries}


def _violation_text(e: dict) -> str:
    v = e["violation"]
    if v is None:
        return ""
    if v["found"]:
        return (f"; the built-in backend confirms a violation at N={v['n']} F={v['f']} "
                f"({v['scenario']}): {confirm.MEANING[e['property']]}, in {v['steps']} steps "
                f"(rbtui verify FILE --only byzantine --n {v['n']} --f {v['f']})")
    where = ", ".join(f"N={n} F={f}" for n, f in dict.fromkeys((n, f) for n, f, _ in v["tried"]))
    text = f"; the built-in backend finds no such violation at {where}"
    if e["property"] in PROVABLE:
        text += " (the abstract one may be spurious)"
    if v["message"]:
        text += f" ({v['message']})"
    return text


def text(rep: dict, style: Style) -> str:
    lines = [f"{rep['file']}: byzantine, attacker {rep['attacker']}; {rep['scope']}"]
    for e in rep["properties"]:
        if e["proved"]:
            head = style.good("proved for all N > 3F")
            lines.append(f"  {e['title']}: {head}: {e['states']}")
        else:
            head = style.bad("not proved")
            lines.append(f"  {e['title']}: {head}: {e['reason']}{_violation_text(e)}")
    lines.append("  (in the model of docs/semantics.md; crash and none follow for integrity "
                 "and consistency: without Byzantine processes no value other than m exists)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    cand = read_candidate(args.file)
    if args.timeout is not None and args.timeout <= 0:
        from rbengine.proof.counter_system import ProofError
        raise ProofError("--timeout must be positive")
    rep = report(cand, args)
    print(json.dumps(rep) if args.json else text(rep, Style()))
    return 0 if rep["proved"] else 1
