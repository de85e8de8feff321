"""The backend contract (rbengine.oracle.backend): every registered backend
satisfies the Protocol, answers a scenario as a ScenarioResult, and ends a
cancelled or timed-out search with OracleError, never another exception."""

from __future__ import annotations

import pytest

from rbengine import oracle
from rbengine.errors import OracleError
from rbengine.notation import parse
from rbengine.oracle import backend
from rbengine.scenario import scenarios

BRACHA = parse(
    "broadcast: send_all type0\nreceive: send_all type1 if type0 from origin; "
    "send_all type2 if type1 from (N+F)/2; send_all type2 if type2 from F+1; "
    "deliver if type2 from 2F+1")
WRONG = parse("broadcast: send_all type0\nreceive: deliver if type0 from 1")


def runnable():
    return [n for n in backend.names() if backend.why_unavailable(n) is None]


def test_every_registered_backend_keeps_the_protocol():
    assert set(backend.names()) == {"spin", "builtin", "reference"}
    assert oracle.BACKENDS == backend.names()
    for name in backend.names():
        b = backend.get(name)
        assert isinstance(b, backend.Backend), name
        assert b.name == name and b.description


def test_unknown_backend_is_a_clear_oracle_error():
    with pytest.raises(OracleError, match="unknown backend 'nope'"):
        backend.get("nope")
    assert "unknown backend" in backend.why_unavailable("nope")


@pytest.mark.parametrize("name", ["builtin", "reference", "spin"])
def test_check_returns_a_scenario_result(name):
    if backend.why_unavailable(name):
        pytest.skip(backend.why_unavailable(name))
    b = backend.get(name)
    sc = scenarios("crash", 3)[1]  # the broadcaster crashes mid-send
    ok = b.check(BRACHA, scenarios("none", 3)[0])
    assert isinstance(ok, backend.ScenarioResult) and ok.violated is None and ok.states > 0
    assert ok.counterexample is None
    bad = b.check(WRONG, sc)
    assert bad.violated is not None and bad.counterexample is not None
    assert bad.counterexample.property == bad.violated


@pytest.mark.parametrize("name", ["builtin", "reference", "spin"])
def test_cancel_ends_the_search_with_an_oracle_error(name):
    if backend.why_unavailable(name):
        pytest.skip(backend.why_unavailable(name))
    # large enough that every backend polls `cancel` before it is done
    sc = scenarios("byzantine", 7, 2)[1] if name == "builtin" else scenarios("byzantine", 4)[1]
    with pytest.raises(OracleError, match="cancelled"):
        backend.get(name).check(BRACHA, sc, cancel=lambda: True)


def test_the_reference_state_limit_is_an_oracle_error_not_overflow():
    sc = scenarios("byzantine", 4)[0]
    with pytest.raises(OracleError, match="exceeded"):
        backend.get("reference").check(BRACHA, sc, limit=50)


def test_defaults_name_runnable_backends():
    assert backend.preferred() in runnable()
    assert backend.interactive() == "builtin"
    assert oracle.default_backend() == backend.preferred()
