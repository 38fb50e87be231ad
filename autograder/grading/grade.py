"""Grade a batch of submissions: ``python -m autograder grade SUBMITTED --out OUT``.

For each student: copy the ``linear_classifier`` package into a scratch folder; derive a seed from the
course secret, ``--seed``, the student id and the copy's digest (:mod:`autograder.seeds`); build that
student's inputs (:mod:`autograder.catalogue`); run every call in one sandbox (:mod:`autograder.sandbox`);
judge the plain results against the reference run on the same inputs; score with ``points.toml``. Then
write every output (:mod:`autograder.outputs`), the gradebook's scores (:mod:`autograder.nbgrader_hooks`)
and, for a shard, what ``merge`` needs (:mod:`autograder.grading.shard`).

The course secret comes from the environment variable ``AUTOGRADER_SECRET``; without it a fixed public
default is used and the summary says that inputs are predictable. Keep the secret out of the repository.
"""

import dataclasses
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .. import catalogue, course, execution, seeds
from ..calls.status import Status, ended, sentence
from ..intake import SubmissionsError, read_batch
from ..lms.roster import RosterError, read_roster
from ..outputs.staging import OutputError, stage
from ..outputs.text import Redactor
from ..points import PointsError, load_points
from ..packages import load_reference
from ..results import BatchResult, Row, StudentResult
from ..sandbox import Sandbox, sandbox_status
from . import submissions
from .late import LatePolicyError, read_policy
from .options import GradeOptions, GradingSetupError
from .publish import write_outputs


#: Why a student's modules were not run when no copy of the assignment was found (the notes say what was).
NOT_FOUND = f"no copy of the assignment (a {course.PACKAGE}/ package or its modules) was found in the submission"


def self_test(reference=None):
    """Grade the reference in this process on one seed: every test must pass, or grading cannot be trusted."""
    reference = reference or load_reference()
    plan = catalogue.build_plan(0)
    outcomes = execution.run_in_process(plan, list(plan.cases), reference.module, reference)
    judge = catalogue.Judge(plan, reference)
    failed = [v for v in (judge.verdict(t, outcomes) for t in plan.tests) if not v.passed]
    if failed:
        raise GradingSetupError("The reference solution fails the autograder's own tests, so grades would be "
                                "wrong:\n  " + "\n  ".join(f"{v.name}: {v.status}: {v.message}" for v in failed))


#: The largest module kept whole in a student's record (a bigger one is kept cut, with a note in the file).
MAX_KEPT_SOURCE = 256 * 1024


def graded_sources(scratch):
    """``{"linear_classifier/<module>.py": text}`` of the graded modules copied into ``scratch``: the record keeps
    them for the feedback's line numbers and for ``python -m autograder similarity``."""
    sources = {}
    for relative in course.student_files():
        path = Path(scratch) / relative
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            text = data[:MAX_KEPT_SOURCE].decode("utf-8", errors="replace")
            sources[relative] = text + ("\n# [cut: the grader keeps 256 KiB]\n" if len(data) > MAX_KEPT_SOURCE else "")
    return sources


def serve_loss(service, request):
    """Answer a sandboxed model's request for the loss (plain data in, plain data out; see ``LossService.serve``)."""
    if service is None:
        return {"refused": "this call has no loss to ask for"}
    return service.serve(request)


class Grader:
    """What grading a submission needs, prepared once per batch: points, the checked reference, the sandbox."""

    def __init__(self, options, stderr=sys.stderr, late_policy=None):
        self.options = options
        #: The course's :class:`~autograder.grading.late.LatePolicy`, None for none.
        self.late_policy = late_policy
        try:
            self.points = load_points()
        except PointsError as error:
            raise GradingSetupError(str(error)) from None
        try:
            self.reference = load_reference()
            if options.self_test:
                self_test(self.reference)
        except GradingSetupError:
            raise
        except Exception as error:  # noqa: BLE001 (a broken reference means nothing can be graded)
            raise GradingSetupError(f"The reference solution cannot be loaded: {type(error).__name__}: "
                                    f"{error}") from None
        try:
            mode, self.warning = sandbox_status(options.require_sandbox)
        except RuntimeError as error:
            raise GradingSetupError(str(error)) from None
        if self.warning:
            print("\n" + "!" * 78 + f"\n{self.warning}\n" + "!" * 78 + "\n", file=stderr)
        self.sandbox = Sandbox(options.sandbox_limits(), mode)
        self.secret, self.default_secret = ((options.secret, False) if options.secret is not None
                                            else seeds.course_secret())
        self.redact = Redactor.from_environment(None if self.default_secret else self.secret)
        self.notebooks = submissions.expected_notebooks()

    def grade(self, submission, scratch_root):
        """Grade one submission; never raises for anything the student did."""
        with tempfile.TemporaryDirectory(prefix="autograder-", dir=scratch_root) as scratch:
            notes = list(submission.notes)
            problems = {module: NOT_FOUND for module in course.STUDENT_MODULES}
            if submission.folder is not None:
                notes += submissions.notebook_notes(submission.folder, self.notebooks, submission.notebooks)
                copy_notes = submissions.copy_package(submission.folder, scratch)
                notes += copy_notes
                problems = submissions.module_problems(scratch, copy_notes)
            digest = seeds.submission_digest(Path(scratch) / course.PACKAGE)
            seed = seeds.student_seed(submission.student_id, self.options.seed, self.secret, digest)
            result = StudentResult(submission.student_id, seed, [], notes, digest=digest, name=submission.name,
                                   lms_id=submission.lms_id, sources=graded_sources(scratch))
            plan = catalogue.build_plan(seed)
            outcomes = {key: ended(Status.MISSING, "module", problem=problems[case.module])
                        for key, case in plan.cases.items() if case.module in problems}
            runnable = [key for key in plan.cases if key not in outcomes]
            if runnable:
                outcomes.update(self._run(plan, runnable, scratch, result))
        judge = catalogue.Judge(plan, self.reference)
        for test in plan.tests:
            verdict = judge.verdict(test, outcomes)
            worth = self.points[test.name]
            result.rows.append(Row(verdict, worth * verdict.credit, worth))
        self._apply_late_policy(submission, result)
        return self._sanitized(result)

    def _apply_late_policy(self, submission, result):
        """Record the late policy's percentage and its reason (the one place a penalty is decided)."""
        if self.late_policy is not None:
            lateness = self.late_policy.assess(submission)
            result.late_percent = lateness.percent
            result.notes.append(lateness.note)

    def _run(self, plan, keys, scratch, result):
        """Run ``keys`` in the sandbox; their Outcomes. Records the output and what a limit cut into ``result``."""
        services = {key: execution.loss_service(plan.cases[key], self.reference) for key in keys}
        run = self.sandbox.run(plan.calls(keys), scratch, lambda key, request: serve_loss(services.get(key), request))
        result.output, result.output_dropped, result.cut = run.output, run.output_dropped, run.cut
        if run.cut:
            result.notes.append(f"Grading was cut short: {run.cut}; the tests not run score 0.")
        outcomes = {}
        for key in keys:
            report = run.reports[key]
            if report.status == Status.OK:
                records = services[key].records() if services[key] else None
                outcomes[key] = execution.outcome_from_result(plan.cases[key], report.result, records)
            else:
                outcomes[key] = report  # the sandbox's Outcome is the judge's
        self.options.emit("sandbox", student=result.student_id, seconds=run.seconds, restarts=run.restarts,
                          timings=run.timings)
        return outcomes

    def _sanitized(self, result):
        """``result`` with every text from student code cleaned of control characters and secrets."""
        for row in result.rows:
            row.verdict.message = self.redact(row.verdict.message)
        result.notes = [self.redact(note) for note in result.notes]
        result.cut = self.redact(result.cut)
        result.output = self.redact(result.output.decode("utf-8", errors="replace")).encode("utf-8")
        return result

    def failed(self, submission, error):
        """Rows for a student the grader itself failed on (a grader bug): every test 'error', loudly."""
        seed = seeds.student_seed(submission.student_id, self.options.seed, self.secret)
        result = StudentResult(submission.student_id, seed, [], list(submission.notes), grader_error=error,
                               name=submission.name, lms_id=submission.lms_id)
        for name, worth in self.points.items():
            verdict = catalogue.Verdict(name, course.group_of(name), True, "", Status.ERROR,
                                        sentence(Status.ERROR, "grader"))
            result.rows.append(Row(verdict, 0.0, worth))
        self._apply_late_policy(submission, result)
        return self._sanitized(result)


def grade_batch(submitted, out, options=None, stderr=None, **settings):
    """Grade every submission under ``submitted`` (a folder or an LMS .zip) and write the outputs to ``out``.

    Parameters
    ----------
    submitted : path
        ``<student_id>/loss_optimization/...`` folders, or a zip of them (see
        :mod:`autograder.grading.submissions`).
    out : path
        Output folder (created; must not be inside ``submitted``).
    options : GradeOptions or None
        How to grade; keyword ``settings`` (``jobs=2``, ``limits=Limits(timeout=5)``...) build one when it is None.
    stderr : file or None
        Where warnings, grader errors and the progress bar go.

    Returns
    -------
    autograder.results.BatchResult

    Raises
    ------
    GradingSetupError
        When grading cannot run.
    """
    options = options or GradeOptions(**settings)
    options.check()
    stderr = stderr or sys.stderr
    started = time.perf_counter()
    submitted, out = Path(submitted).resolve(), Path(out).resolve()
    staging, roster, late_policy = _prepare(submitted, out, options)
    try:
        with tempfile.TemporaryDirectory(prefix="autograder-batch-") as batch_tmp:
            try:
                intake = read_batch(submitted, Path(batch_tmp) / "intake", roster)
            except SubmissionsError as error:
                raise GradingSetupError(str(error)) from None
            intake.notes += _late_policy_notes(late_policy, intake)
            for note in intake.notes:
                print(note, file=stderr)
            batch = intake.submissions
            if options.shard is not None:
                batch = options.shard.select(batch)
            grader = Grader(options, stderr, late_policy)
            timings = {"prepare": time.perf_counter() - started}
            options.emit("prepared", submissions=len(batch), seconds=timings["prepare"])
            scratch_root = Path(batch_tmp) / "scratch"
            scratch_root.mkdir()
            results = _grade_all(grader, batch, scratch_root, options, stderr)
        timings["grade"] = time.perf_counter() - started - timings["prepare"]
        result = _batch_result(results, out, grader, options, intake, submitted, timings)
        write_outputs(result, staging, options.gradebook, stderr, options.emit)
    except BaseException:
        staging.discard()
        raise
    return result


def _prepare(submitted, out, options):
    """Before anything is graded: refuse what cannot work; the outputs' reserved folder (a Staging) and the roster."""
    if not submitted.exists():
        raise GradingSetupError(f"{submitted} does not exist: give the folder of submissions (e.g. submitted/) "
                                "or an LMS download (.zip).")
    roster = _roster(options.roster)
    try:
        late_policy = read_policy(options.late_policy) if options.late_policy else None
    except LatePolicyError as error:
        raise GradingSetupError(str(error)) from None
    try:
        staging = stage(out, options.force, protected=[submitted])
    except OutputError as error:
        raise GradingSetupError(str(error)) from None
    if options.shard is not None:
        from .shard import forget_manifest

        # A forced rerun that fails half way must not leave the earlier run's manifest for merge to trust.
        forget_manifest(out)
    return staging, roster, late_policy


def _batch_result(results, out, grader, options, intake, submitted, timings):
    batch_students = tuple(submission.student_id for submission in intake.submissions)
    result = BatchResult(results, out, grader.sandbox.mode, grader.warning, options.seed, grader.default_secret,
                         limits=dataclasses.asdict(grader.sandbox.limits),
                         secret_fingerprint=seeds.secret_fingerprint(grader.secret), shard=options.shard,
                         batch_students=batch_students, submitted=submitted, timings=timings,
                         intake_notes=list(intake.notes))
    if options.shard is not None:
        result.shard_note = (f"Shard {options.shard}: {len(results)} of the batch's {len(batch_students)} "
                             "submissions. Combine every shard's output with `python -m autograder merge`.")
    return result


def _late_policy_notes(late_policy, intake):
    """The batch notes of the late policy (extensions of students who are not in the batch)."""
    note = late_policy.unknown_extensions(s.student_id for s in intake.submissions) if late_policy else ""
    return [note] if note else []


def _roster(path):
    if path is None:
        return None
    try:
        return read_roster(path)
    except RosterError as error:
        raise GradingSetupError(str(error)) from None


def _grade_all(grader, batch, scratch_root, options, stderr):
    """Every submission's StudentResult, sorted by student id, graded ``options.jobs`` at a time."""
    from tqdm import tqdm

    def grade(submission):
        started = time.perf_counter()
        try:
            result = grader.grade(submission, scratch_root)
            options.emit("graded", student=submission.student_id, seconds=time.perf_counter() - started)
            return result
        except catalogue.GradingError:
            raise
        except Exception:  # noqa: BLE001 (one grader failure must not lose the batch)
            error = traceback.format_exc()
            print(f"grader error on {submission.student_id}:\n{error}", file=stderr)
            return grader.failed(submission, error)

    results = []
    with tqdm(total=len(batch), desc="grading", unit="submission", file=stderr, disable=not options.progress) as bar:
        def done(student):
            results.append(student)
            bar.update(1)

        if options.jobs == 1:
            # In this thread: no pool to wait on, and a profiler of this thread sees the work.
            for submission in batch:
                done(grade(submission))
        else:
            with ThreadPoolExecutor(max_workers=options.jobs) as pool:
                for future in as_completed([pool.submit(grade, submission) for submission in batch]):
                    done(future.result())
    return sorted(results, key=lambda student: student.student_id)
