"""Failure modes as objects: the attributes the rest of the code asks for
instead of comparing names (docs/semantics.md §3-4)."""

import pytest

from rbengine import mode
from rbengine.errors import OracleError
from rbengine.scenario import MODES, PAPER_N, default_f, scenarios
from rbengine.size import Size, bound_text, notes, within_bound


def test_modes_weakest_first_with_their_bounds():
    assert MODES == ("none", "crash", "byzantine")
    assert PAPER_N == {"none": 3, "crash": 3, "byzantine": 4}
    assert [m.bound for m in mode.ALL] == [None, 2, 3]
    assert [m.faulty_label for m in mode.ALL] == ["", "crash-prone", "Byzantine"]
    assert [m.has_attacker for m in mode.ALL] == [False, False, True]


@pytest.mark.parametrize("n", range(2, 14))
def test_default_f_is_the_largest_f_within_the_bound(n):
    for m in mode.ALL:
        f = m.max_f(n)
        assert f == default_f(m.name, n)
        assert m.within_bound(n, f)
        if m.has_faults:
            assert not m.within_bound(n, f + 1)
        else:
            assert f == 0


def test_size_helpers_follow_the_mode_objects():
    assert bound_text("byzantine") == "N > 3F" and bound_text("none") == ""
    assert within_bound("crash", 5, 2) and not within_bound("crash", 4, 2)
    assert Size(7).f_for("byzantine") == 2 and Size(7, 3).f_for("none") == 0
    kinds = [(nt.kind, nt.mode) for nt in notes([Size(3), Size(6, 2)], MODES)]
    assert kinds == [("vacuous", "byzantine"), ("beyond-bound", "byzantine")]


def test_scenarios_carry_their_mode_object():
    crash = scenarios("crash", 5)
    assert [sc.failure for sc in crash] == [mode.CRASH, mode.CRASH]
    assert crash[0].crash_prone == (1, 2) and crash[0].byzantine == ()
    byz = scenarios("byzantine", 4, attacker="same-value")
    assert byz[1].byzantine == (0,) and byz[1].attacker == "same-value"
    assert "same-value" in byz[1].label()
    none = scenarios("none", 4, 3)  # F is ignored without faults
    assert [(sc.f, sc.faulty, sc.attacker) for sc in none] == [(0, (), None)]


def test_unknown_mode_is_an_oracle_error():
    with pytest.raises(OracleError, match="unknown mode 'omission'"):
        mode.get("omission")
    with pytest.raises(OracleError, match="unknown mode"):
        scenarios("omission", 4)
