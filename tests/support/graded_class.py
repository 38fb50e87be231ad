"""A graded class built in this process: real verdicts of the catalogue's judge, no sandbox.

Grading 50 submissions in sandboxes takes minutes; the pages only need what grading hands them, a
:class:`autograder.results.BatchResult`. Here each planted bug (a corpus case of ``tests/corpus/bugs/``: a
function replaced in a module) is judged once, in this process, by the real judge on that function's
cases, and the reference once for every group; each student's rows are the reference's but in the groups
of their bugs. So the verdicts, messages and mistake ids are the grader's own.
"""

import functools
import tomllib
import types
from pathlib import Path

from autograder import catalogue, course
from autograder.execution import run_in_process
from autograder.packages import load_reference
from autograder.points import load_points
from autograder.results import BatchResult, Row, StudentResult

BUGS = Path(__file__).resolve().parents[1] / "corpus" / "bugs"
SEED = 1234


def bug_patch(case_id):
    """``(module, function, code)`` of a corpus bug that replaces one function."""
    case = tomllib.loads((BUGS / case_id / "case.toml").read_text(encoding="utf-8"))
    (patch,) = case["patch"]
    return patch["module"].removesuffix(".py"), patch["function"], patch["code"]


def _group_rows(group, resolve):
    points = load_points()
    plan = catalogue.build_plan(SEED, [group])
    outcomes = run_in_process(plan, list(plan.cases), resolve)
    judge = catalogue.Judge(plan, load_reference())
    return [Row(verdict, points[test.name] * verdict.credit, points[test.name])
            for test in plan.tests for verdict in [judge.verdict(test, outcomes)]]


@functools.lru_cache(maxsize=None)
def reference_rows():
    """``{group: rows}`` of the reference solution."""
    reference = load_reference()
    return {group: tuple(_group_rows(group, reference.module)) for group in course.GROUPS}


@functools.lru_cache(maxsize=None)
def bug_rows(case_id):
    """``(group, rows)`` of the corpus bug ``case_id``, judged on its function's group."""
    module_name, function, code = bug_patch(case_id)
    reference = load_reference()
    original = reference.module(module_name)
    buggy = types.ModuleType(original.__name__)
    buggy.__dict__.update(original.__dict__)
    exec(compile(code, f"{course.PACKAGE}/{module_name}.py", "exec"), buggy.__dict__)  # noqa: S102 (our corpus)

    def resolve(name):
        return buggy if name == module_name else reference.module(name)

    group = f"{module_name}.{function}"
    return group, tuple(_group_rows(group, resolve))


def student(student_id, bugs=(), sources=None):
    """A graded student whose submission has the corpus bugs ``bugs`` (none: the reference)."""
    groups = {group: list(rows) for group, rows in reference_rows().items()}
    for case_id in bugs:
        group, rows = bug_rows(case_id)
        groups[group] = list(rows)
    rows = [row for group in course.GROUPS for row in groups[group]]
    return StudentResult(student_id, SEED, rows, sources=dict(sources or {}))


def batch(students, out):
    """A BatchResult of ``students`` as ``grade`` would hand it to the writers."""
    return BatchResult(list(students), Path(out), "bubblewrap", "", SEED, False)
