"""Putting a graded batch's outputs in place, then its scores in the gradebook (``grade`` and ``merge`` alike)."""

import time

from .. import outputs


def write_outputs(result, staging, gradebook, stderr, emit=lambda name, **details: None):
    """Write every output of ``result`` into ``staging`` and move it into place, then the gradebook's scores.

    The gradebook is read first (the flags and the written answers' scores shown in the outputs) and written
    last, once the outputs are in place: a run whose outputs cannot be written leaves the gradebook as it was.
    When writing the gradebook fails, the summary is written again to say so.
    """
    written = time.perf_counter()
    if gradebook:
        from ..nbgrader_hooks.gradebook import read_gradebook

        read_gradebook(gradebook, result, stderr)
    outputs.write_all(result, staging.folder)
    if result.shard is not None:
        from .shard import write_shard

        write_shard(result, staging.folder)
    staging.commit()
    result.timings["outputs"] = time.perf_counter() - written
    emit("written", seconds=result.timings["outputs"])
    if gradebook:
        from ..nbgrader_hooks.gradebook import record_in_gradebook

        if not record_in_gradebook(gradebook, result, stderr):
            outputs.summary.write(result, result.out)
        emit("gradebook")
