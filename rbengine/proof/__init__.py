"""Proofs for every size: a parameterized counter abstraction of a candidate,
checked with an SMT solver for all N, F (and f faulty) under the resilience
condition at once (docs/oracle.md, "What `rbtui prove` proves").

Only safety properties are in reach: RB-Integrity and the consistency half of
RB-Agreement (no two correct processes deliver different values). Validity and
totality (once a correct process delivers, all do) are not proved here.
"""

from .counter_system import PROPERTIES, Proof, prove

__all__ = ["PROPERTIES", "Proof", "prove"]
