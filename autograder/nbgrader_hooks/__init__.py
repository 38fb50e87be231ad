"""What nbgrader calls: the hidden test cells' :func:`hidden_check`, the gradebook's scores and flags
(:mod:`.gradebook`), and the feedback preprocessor that keeps hidden tests out of feedback (:mod:`.feedback`)."""

from .hidden_check import hidden_check

__all__ = ["hidden_check"]
