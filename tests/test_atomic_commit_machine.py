"""Machine files (docs/semantics-atomic-commit.md §7): reading, writing, errors."""

import json
from pathlib import Path

import pytest

from rbengine.atomic_commit import protocols
from rbengine.atomic_commit.candidates import early_keys
from rbengine.atomic_commit.machine import Machine, MachineError, keys, multisets

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "atomic_commit"


def test_table_size():
    assert len(multisets(3, 1)) == 21 and len(keys(3, 1)) == 105
    assert all(sum(c) == 3 for c in multisets(4, 2))


def test_example_file_is_the_vote_exchange_rule():
    m = Machine.load(str(EXAMPLES / "vote_exchange.json"))
    rule = protocols.machine("vote-exchange", 3)
    # the same on every input a run can give a voting process (the rest is unreachable)
    assert all(m.table[key] == rule.table[key] for key in early_keys(3, 1))
    assert m.table[(2, (0, 0, 2, 0, 0, 0))] == 2


def test_round_trip():
    m = protocols.machine("vote-exchange", 4, k=2)
    again = Machine.loads(m.dumps())
    assert again.n == 4 and again.k == 2 and again.table == m.table
    assert again.hash() == m.hash()


@pytest.mark.parametrize("edit, words", [
    (lambda d: d.update(unnamed=-1), "'unnamed'"),
    (lambda d: d.update(problem="reliable-broadcast"), "not atomic-commit"),
    (lambda d: d["transitions"][0].update(to="LOCAL_COMMIT"), "is a vote"),
    (lambda d: d["transitions"][0].update(to="U7"), "unknown state"),
    (lambda d: d["transitions"][0].update(received={"LOCAL_COMMIT": 3}), "3 messages"),
    (lambda d: d["transitions"][0].update(received={"MAYBE": 2}), "unknown symbol"),
    (lambda d: d["transitions"].append(dict(d["transitions"][0])), "second transition"),
    (lambda d: d.pop("otherwise"), "have no transition"),
    (lambda d: d["transitions"][0].pop("to"), "needs"),
])
def test_bad_files_are_one_line_errors(edit, words):
    d = json.loads((EXAMPLES / "vote_exchange.json").read_text())
    edit(d)
    with pytest.raises(MachineError) as exc:
        Machine.from_json(d)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_not_json_and_missing_file():
    with pytest.raises(MachineError, match="not JSON"):
        Machine.loads("{")
    with pytest.raises(MachineError, match="cannot read"):
        Machine.load("/nonexistent/m.json")


def test_other_n_only_when_the_entries_fit():
    with pytest.raises(MachineError, match="N=4 means 3"):
        Machine.load(str(EXAMPLES / "vote_exchange.json"), n=4)
