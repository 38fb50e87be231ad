"""Grade a batch of submissions: ``python -m autograder grade SUBMITTED --out OUT``.

For each student: derive a seed from the student id, the course secret and
``--seed``; build that student's inputs (:mod:`autograder.catalogue`); copy the
``linear_classifier`` package into a scratch folder; run every call in one
sandboxed worker (:mod:`autograder.sandbox`); judge the plain results against
the reference run on the same inputs; score with ``points.toml``. Then write

- ``OUT/grades.csv``: ``student_id,test,score,max_score,status,message``, one row per student and test;
- ``OUT/seeds.csv``: each student's seed (regrading with the same secret and ``--seed`` reproduces it);
- ``OUT/<student_id>/results.json`` (Gradescope schema) and ``OUT/<student_id>/feedback.html``: what the
  student may receive;
- ``OUT/summary.html``: score histogram, pass rate per test, flags, warnings;
- ``OUT/.logs/<student_id>.txt``: what the student's code printed (capped), for the instructor only;
- scores in nbgrader's gradebook, when one is given (:mod:`autograder.gradebook`);
- with ``--shard I/N``, only the I-th of N parts of the batch, and ``OUT/shard.json``, what
  ``python -m autograder merge`` needs to combine the parts (:mod:`autograder.shards`).

The course secret comes from the environment variable ``AUTOGRADER_SECRET``;
without it a fixed public default is used and the summary says that inputs are
predictable. Keep the secret out of the repository.
"""

import csv
import hashlib
import os
import sys
import tempfile
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import catalogue, course, execution, submissions
from .points import PointsError, load_points
from .reference import load_reference
from .sandbox import Limits, Sandbox, sandbox_status

SECRET_VARIABLE = "AUTOGRADER_SECRET"
DEFAULT_SECRET = "loss-optimization-public-default"
GRADES_COLUMNS = ("student_id", "test", "score", "max_score", "status", "message")
SEEDS_COLUMNS = ("student_id", "seed", "batch_seed", "secret")


class GradingSetupError(RuntimeError):
    """Grading cannot run at all (bad arguments, broken reference, unreadable points...)."""


@dataclass
class Row:
    """One test of one student: a row of grades.csv."""

    verdict: catalogue.Verdict
    score: float
    max_score: float

    @property
    def name(self):
        return self.verdict.name


@dataclass
class StudentResult:
    student_id: str
    seed: int
    rows: list
    notes: list = field(default_factory=list)
    output: bytes = b""
    output_dropped: int = 0
    grader_error: str = ""
    flags: list = field(default_factory=list)

    @property
    def score(self):
        return sum(row.score for row in self.rows)

    @property
    def max_score(self):
        return sum(row.max_score for row in self.rows)


@dataclass
class BatchResult:
    students: list
    out: Path
    sandbox: str
    sandbox_warning: str
    seed: int
    default_secret: bool
    gradebook_note: str = ""
    timeout: float = Limits.timeout
    import_timeout: float = Limits.import_timeout
    #: Identifies the course secret without revealing it (:func:`secret_fingerprint`).
    secret_fingerprint: str = ""
    #: The part of the batch graded (:class:`autograder.shards.Shard`), None for a whole batch.
    shard: object = None
    #: Every student id of the batch, sorted, including those of other shards.
    batch_students: tuple = ()
    #: The SUBMITTED argument (where merge looks for the course's gradebook).
    submitted: Path = None
    #: For the summary: which part of a batch this is, or which parts were merged.
    shard_note: str = ""

    @property
    def grader_errors(self):
        return [s for s in self.students if s.grader_error]


def course_secret():
    """The course secret and whether it is the public default."""
    secret = os.environ.get(SECRET_VARIABLE)
    return (secret, False) if secret else (DEFAULT_SECRET, True)


def student_seed(student_id, seed=0, secret=None):
    """The seed of a student's inputs: a hash of the course secret, the batch seed and the student id."""
    secret = secret if secret is not None else course_secret()[0]
    digest = hashlib.sha256(f"{secret}\0{seed}\0{student_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 2 ** 63


def secret_fingerprint(secret):
    """A short digest that tells two course secrets apart without revealing either.

    It gives away no more than ``seeds.csv`` already does: both are hashes of the secret.
    """
    return hashlib.sha256(f"autograder secret fingerprint\0{secret}".encode()).hexdigest()[:16]


def self_test(reference=None):
    """Grade the reference in this process on one seed: every test must pass, or grading cannot be trusted."""
    reference = reference or load_reference()
    plan = catalogue.build_plan(0)
    outcomes = execution.run_in_process(plan, list(plan.cases), reference.module)
    judge = catalogue.Judge(plan, reference)
    failed = [v for v in (judge.verdict(t, outcomes) for t in plan.tests) if not v.passed]
    if failed:
        raise GradingSetupError("The reference solution fails the autograder's own tests, so grades would be "
                                "wrong:\n  " + "\n  ".join(f"{v.name}: {v.status}: {v.message}" for v in failed))


def grade_submission(submission, *, seed, secret, sandbox, points, notebooks, reference, scratch_root):
    """Grade one submission; never raises for anything the student did."""
    student_seed_value = student_seed(submission.student_id, seed, secret)
    result = StudentResult(submission.student_id, student_seed_value, [], list(submission.notes))
    plan = catalogue.build_plan(student_seed_value)
    outcomes = {}
    with tempfile.TemporaryDirectory(prefix="autograder-", dir=scratch_root) as scratch:
        problems = {module: "no assignment folder was submitted" for module in course.STUDENT_MODULES}
        if submission.folder is not None:
            result.notes += submissions.notebook_notes(submission.folder, notebooks)
            copy_notes = submissions.copy_package(submission.folder, scratch)
            result.notes += copy_notes
            problems = submissions.module_problems(scratch, copy_notes)
        runnable = []
        for key, case in plan.cases.items():
            if case.module in problems:
                outcomes[key] = catalogue.Outcome("missing", message=problems[case.module])
            else:
                runnable.append(key)
        if runnable:
            run = sandbox.run(plan.calls(runnable), scratch)
            result.output, result.output_dropped = run.output, run.output_dropped
            for key in runnable:
                report = run.reports[key]
                if report.status == "ok":
                    outcomes[key] = execution.outcome_from_result(plan.cases[key], report.result)
                else:
                    outcomes[key] = catalogue.Outcome(report.status, message=report.message)
    judge = catalogue.Judge(plan, reference)
    for test in plan.tests:
        verdict = judge.verdict(test, outcomes)
        worth = points[test.name]
        result.rows.append(Row(verdict, worth * verdict.credit, worth))
    return result


def _failed_student(submission, seed, secret, points, error):
    """Rows for a student the grader itself failed on (a grader bug): every test 'error', loudly."""
    result = StudentResult(submission.student_id, student_seed(submission.student_id, seed, secret), [],
                           list(submission.notes), grader_error=error)
    for name in points:
        verdict = catalogue.Verdict(name, course.group_of(name), True, "", "error", "the grader failed on this submission; "
                                    "the instructor has been told")
        result.rows.append(Row(verdict, 0.0, points[name]))
    return result


def grade_batch(submitted, out, jobs=1, timeout=Limits.timeout, seed=0, *, import_timeout=Limits.import_timeout,
                secret=None, limits=None, require_sandbox=None, gradebook=None, progress=True, stderr=None,
                shard=None):
    """Grade every submission under ``submitted`` (a folder or an LMS .zip) and write the outputs to ``out``.

    Parameters
    ----------
    submitted : path
        ``<student_id>/loss_optimization/...`` folders, or a zip of them (see :mod:`autograder.submissions`).
    out : path
        Output folder (created; must not be inside ``submitted``).
    jobs : int
        Submissions graded at the same time.
    timeout : float
        Wall-clock seconds allowed for each call of a student function.
    import_timeout : float
        Wall-clock seconds allowed for importing each student module.
    seed : int
        Batch seed, mixed with the course secret and each student id.
    secret : str or None
        The course secret; ``$AUTOGRADER_SECRET`` or a public default when None.
    limits : Limits or None
        Sandbox limits (``timeout`` and ``import_timeout`` override its own).
    require_sandbox : bool or None
        True: fail unless bubblewrap runs; False: resource limits only; None: bubblewrap when it works.
    gradebook : str or None
        nbgrader gradebook URL to write the scores into (and read in-kernel results from).
    progress : bool
        Show a progress bar on stderr.
    shard : autograder.shards.Shard or None
        Grade only this part of the batch and write ``OUT/shard.json`` for ``merge``. Shards never
        write the gradebook (``merge`` does, once): ``gradebook`` must be None.

    Returns
    -------
    BatchResult

    Raises
    ------
    GradingSetupError
        When grading cannot run.
    """
    from tqdm import tqdm

    stderr = stderr or sys.stderr
    submitted, out = Path(submitted).resolve(), Path(out).resolve()
    if not submitted.exists():
        raise GradingSetupError(f"{submitted} does not exist: give the folder of submissions (e.g. submitted/) "
                                "or an LMS .zip file.")
    if out == submitted or submitted in out.parents:
        raise GradingSetupError(f"--out {out} is inside {submitted}: nothing under the submissions may be written; "
                                "choose an output folder elsewhere.")
    if jobs < 1:
        raise GradingSetupError(f"--jobs must be at least 1, got {jobs}.")
    if not timeout > 0:
        raise GradingSetupError(f"--timeout must be a positive number of seconds, got {timeout}.")
    if not import_timeout > 0:
        raise GradingSetupError(f"--import-timeout must be a positive number of seconds, got {import_timeout}.")
    if shard is not None and gradebook:
        raise GradingSetupError(f"--gradebook {gradebook} with --shard: shards leave the gradebook to "
                                "`python -m autograder merge`, which writes it once for the whole batch; give "
                                "--gradebook to merge instead.")
    if secret is None:
        secret, default_secret = course_secret()
    else:
        default_secret = False

    with tempfile.TemporaryDirectory(prefix="autograder-batch-") as batch_tmp:
        try:
            if submitted.is_file():
                if submitted.suffix.lower() != ".zip":
                    raise GradingSetupError(f"{submitted} is a file but not a .zip: give a folder or an LMS .zip.")
                root = submissions.extract_zip(submitted, Path(batch_tmp) / "unzipped")
            else:
                root = submitted
            batch = submissions.discover(root)
        except submissions.SubmissionsError as error:
            raise GradingSetupError(str(error)) from None
        batch_students = tuple(submission.student_id for submission in batch)
        if shard is not None:
            from .shards import forget_manifest

            # A rerun that fails half way must not leave an earlier run's manifest for merge to trust.
            forget_manifest(out)
            batch = shard.select(batch)
        points, reference, sandbox, warning = _prepare(limits, timeout, import_timeout, require_sandbox, stderr)
        notebooks = submissions.expected_notebooks()
        scratch_root = Path(batch_tmp) / "scratch"
        scratch_root.mkdir()

        def grade(submission):
            try:
                return grade_submission(submission, seed=seed, secret=secret, sandbox=sandbox, points=points,
                                        notebooks=notebooks, reference=reference, scratch_root=scratch_root)
            except catalogue.GradingError:
                raise
            except Exception:  # noqa: BLE001 (one grader failure must not lose the batch)
                error = traceback.format_exc()
                print(f"grader error on {submission.student_id}:\n{error}", file=stderr)
                return _failed_student(submission, seed, secret, points, error)

        results = []
        with ThreadPoolExecutor(max_workers=jobs) as pool, \
                tqdm(total=len(batch), desc="grading", unit="submission", file=stderr, disable=not progress) as bar:
            for future in as_completed([pool.submit(grade, submission) for submission in batch]):
                results.append(future.result())
                bar.update(1)
        results.sort(key=lambda student: student.student_id)
    result = BatchResult(results, out, sandbox.mode, warning, seed, default_secret, timeout=float(timeout),
                         import_timeout=float(import_timeout), secret_fingerprint=secret_fingerprint(secret),
                         shard=shard, batch_students=batch_students, submitted=submitted)
    if shard is not None:
        result.shard_note = (f"Shard {shard}: {len(results)} of the batch's {len(batch_students)} submissions. "
                             "Combine every shard's output with `python -m autograder merge`.")
    if gradebook:
        from .gradebook import record_in_gradebook

        record_in_gradebook(gradebook, result, stderr)
    write_outputs(result)
    return result


def _prepare(limits, timeout, import_timeout, require_sandbox, stderr):
    """Points, the self-tested reference and the sandbox, or GradingSetupError saying why grading cannot run."""
    try:
        points = load_points()
    except PointsError as error:
        raise GradingSetupError(str(error)) from None
    try:
        reference = load_reference()
        self_test(reference)
    except GradingSetupError:
        raise
    except Exception as error:  # noqa: BLE001 (a broken reference means nothing can be graded)
        raise GradingSetupError(f"The reference solution cannot be loaded: {type(error).__name__}: {error}") from None
    limits = Limits(**{**(limits.__dict__ if limits else {}), "timeout": float(timeout),
                       "import_timeout": float(import_timeout)})
    try:
        mode, warning = sandbox_status(require_sandbox)
    except RuntimeError as error:
        raise GradingSetupError(str(error)) from None
    if warning:
        print("\n" + "!" * 78 + f"\n{warning}\n" + "!" * 78 + "\n", file=stderr)
    return points, reference, Sandbox(limits, mode), warning


def write_outputs(result):
    """Write grades.csv, seeds.csv, every student's results.json and feedback.html, logs and summary.html.

    A shard's ``shard.json`` is written last: its presence tells ``merge`` that the shard finished.
    """
    from .feedback import write_feedback
    from .summary import write_summary

    out = result.out
    write_tables(result)
    logs = out / ".logs"
    logs.mkdir(exist_ok=True)
    for student in result.students:
        write_feedback(student, out / student.student_id, result)
        text = student.output.decode("utf-8", errors="replace")
        if student.output_dropped:
            text += f"\n[... {student.output_dropped} more bytes of output dropped]\n"
        if student.grader_error:
            text += f"\n[grader error]\n{student.grader_error}"
        (logs / f"{student.student_id}.txt").write_text(text, encoding="utf-8")
    write_summary(result, out / "summary.html")
    if result.shard is not None:
        from .shards import write_manifest

        write_manifest(result)


def write_tables(result):
    """Write ``grades.csv`` and ``seeds.csv`` (students in the order of ``result.students``)."""
    out = result.out
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(GRADES_COLUMNS)
        for student in result.students:
            for row in student.rows:
                writer.writerow([student.student_id, row.name, _number(row.score), _number(row.max_score),
                                 row.verdict.status, " ".join(row.verdict.message.split())])
    with open(out / "seeds.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SEEDS_COLUMNS)
        for student in result.students:
            writer.writerow((student.student_id, student.seed, result.seed,
                             "public default" if result.default_secret else f"${SECRET_VARIABLE}"))


def _number(value):
    return f"{value:g}"
