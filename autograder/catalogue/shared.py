"""Checks that several topics share: inputs left unchanged, ``x`` restored."""

import numpy as np

from .model import Failure


def check_inputs_unmodified(*names):
    """A check that the arguments ``names`` came back from the call with the values they went in with."""
    def check(judge, case, got):
        before = {name: case.args[name] for name in names}
        after = {name: got[name] for name in names}
        hints = judge.diagnosis.diagnose_modified_inputs(before, after)
        if hints:
            changed = [name for name in names if not np.array_equal(before[name], after[name])]
            return Failure(f"the input {', '.join(changed)} was modified", hints)
        if got.get("wrote_read_only"):
            # The write failed on read-only inputs; the call's values come from a rerun on writable ones.
            return Failure("the function writes into its inputs",
                           [judge.mistakes.hint("input_written", names=", ".join(names))])
        return None

    return check


def check_x_restored(judge, case, got):
    """``x`` holds its original values after the call (up to the rounding of ``x[ix] += h; x[ix] -= h``)."""
    if judge.numerics.restored(case.args["x"], got["x"]):
        return None
    return Failure("x was not restored", [judge.mistakes.hint("x_not_restored")], case.args["x"], got["x"])
