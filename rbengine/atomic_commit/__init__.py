"""The atomic commit problem (paper 002): a protocol is one deterministic state
machine shared by N processes in synchronous rounds with crash failures.

The contract is docs/semantics-atomic-commit.md; this package reads nothing
from the Reliable Broadcast side of rbengine.
"""

from .machine import Machine, state_names
from .model import Model, Run, simulate
from .properties import PROPERTY_SETS

__all__ = ["Machine", "Model", "Run", "simulate", "state_names", "PROPERTY_SETS"]
