"""rbengine: the RB-Learner and RB-Oracle, with no user interface.

Nothing in this package may import textual or rbtui, so that long runs can be
scripted, tested and profiled without a terminal.
"""

__version__ = "0.1.0"
