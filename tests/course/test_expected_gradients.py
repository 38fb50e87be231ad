"""The visible loss checks' stored gradients are the reference solution's, and agree with centered differences.

``checks/expected.py`` holds the right ``dW`` of each fixed check problem as data, so that nothing in the release
computes a loss gradient (issue 17). Should a check problem change, run this file as a script to print the module
anew: ``.venv/bin/python tests/course/test_expected_gradients.py > <the module>``.
"""

import sys

import numpy as np
import pytest

from autograder.catalogue import differences
from autograder.packages import reference_package

KINDS = {"svm": "svm_loss_vectorized", "softmax": "softmax_loss_vectorized"}

HEADER = '''"""The right ``dW`` of each fixed problem the visible loss checks test: data, not a loss implementation.

Stored so that the checks can name a likely mistake without a loss or gradient implementation of their own
(issue 17: nothing given does a graded task). Keys: the loss kind, then a name of
:func:`.losses.gradient_problems`. ``tests/course/test_expected_gradients.py`` recomputes every array from
the reference solution, and prints this module anew when run as a script.
"""

import numpy as np

'''


def _checks(reference, name):
    """The reference's ``checks.<name>`` module."""
    return getattr(reference, f"checks.{name}")


def computed_gradients(reference):
    """``{kind: {problem: dW}}`` from the reference's vectorized losses (the huge scores for softmax only)."""
    problems = _checks(reference, "losses").gradient_problems()
    return {kind: {name: getattr(reference.losses, function)(*problem)[1] for name, problem in problems.items()
                   if not (kind == "svm" and name == "huge_scores")}
            for kind, function in KINDS.items()}


def render(gradients):
    """The text of ``checks/expected.py`` for ``gradients``."""
    lines = [HEADER + "EXPECTED_GRADIENTS = {"]
    for kind, arrays in gradients.items():
        lines.append(f'    "{kind}": {{')
        for name, dW in arrays.items():
            rows = ",\n            ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in dW)
            lines.append(f'        "{name}": np.array([\n            {rows}]),')
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def test_stored_gradients_are_the_reference_solutions(reference):
    stored = _checks(reference, "expected").EXPECTED_GRADIENTS
    computed = computed_gradients(reference)
    assert stored.keys() == computed.keys()
    for kind in computed:
        assert stored[kind].keys() == computed[kind].keys(), kind
        for name, dW in computed[kind].items():
            np.testing.assert_allclose(stored[kind][name], dW, rtol=1e-12, atol=1e-15, err_msg=f"{kind} {name}")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_stored_gradients_agree_with_centered_differences_of_the_reference_loss(reference, kind):
    loss = getattr(reference.losses, KINDS[kind])
    for name, (W, X, y, reg) in _checks(reference, "losses").gradient_problems().items():
        if name in _checks(reference, "expected").EXPECTED_GRADIENTS[kind]:
            numeric = differences.centered_difference(lambda w: loss(w, X, y, reg)[0], W, 1e-5)
            np.testing.assert_allclose(_checks(reference, "expected").EXPECTED_GRADIENTS[kind][name], numeric,
                                       rtol=1e-5, atol=1e-7, err_msg=f"{kind} {name}")


if __name__ == "__main__":
    sys.stdout.write(render(computed_gradients(reference_package())))
