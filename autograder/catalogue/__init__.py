"""What the autograder checks: the tests, their inputs, and how results are judged.

- :mod:`.model`: cases, tests, failures, verdicts, plans (the Outcome of a call: :mod:`autograder.calls.status`);
- :mod:`.judge`: expected values from the reference, verdicts;
- one module per topic (:mod:`.losses`, :mod:`.gradients`, :mod:`.regularization`,
  :mod:`.optim`, :mod:`.models`): its input sets, its checks, and how a function
  of each kind it grades joins a plan;
- :mod:`.plan`: :func:`build_plan` assembles the topics for the functions
  :mod:`autograder.graded` declares.

Inputs are generated per student from a seed, as plain arrays, and every
expected value comes from the reference solution run by the same runner on
the same inputs, in the trusted grader. Diagnoses, numerics and tolerances
come from ``linear_classifier/checks/`` of the reference, which the notebooks'
checks share.
"""

from ..calls.status import Outcome
from ..course import GROUPS, grade_id
from .judge import Judge
from .model import STATUSES, Case, Failure, GradingError, GradingTest, Plan, Verdict
from .plan import all_test_names, build_plan

__all__ = ["GROUPS", "STATUSES", "Case", "Failure", "GradingError", "GradingTest", "Judge", "Outcome", "Plan",
           "Verdict", "all_test_names", "build_plan", "grade_id"]
