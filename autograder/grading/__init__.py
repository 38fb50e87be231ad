"""Grading a batch: :mod:`.options` (how), :mod:`.submissions` (what: finding and copying submissions),
:mod:`.grade` (one batch, or one shard of it), :mod:`.shard` and :mod:`.merge` (a batch in parts)."""

from .grade import grade_batch
from .merge import MergeError, merge
from .options import GradeOptions, GradingSetupError
from .shard import Shard

__all__ = ["GradeOptions", "GradingSetupError", "MergeError", "Shard", "grade_batch", "merge"]
