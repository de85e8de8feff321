"""docs/semantics.md §6: verdicts per single mode (not cumulative).

Each entry: (mode, N, attacker) -> expected property violated, None when
correct, or "incorrect" when the table names no property.
"""

COLUMNS = [
    ("none", 3, "full"),
    ("crash", 3, "full"),
    ("crash", 4, "full"),
    ("byzantine", 4, "same-value"),
    ("byzantine", 4, "full"),
]

TABLE = {
    "alg1": [None, "agreement", "agreement", "agreement", "incorrect"],
    "alg2": [None, None, None, None, "incorrect"],
    "alg3": [None, "validity", None, None, "incorrect"],
    "fig3": [None, "validity", None, None, "incorrect"],
    "bracha": [None, "validity", None, None, None],
}

CASES = [(name, *col, expected)
         for name, row in TABLE.items() for col, expected in zip(COLUMNS, row)]


def ids(case) -> str:
    name, mode, n, attacker, _ = case
    return f"{name}-{mode}-N{n}" + (f"-{attacker}" if mode == "byzantine" else "")


def matches(verdict, expected) -> bool:
    if expected is None:
        return verdict.correct
    if verdict.correct:
        return False
    return expected == "incorrect" or verdict.failed.property == expected
