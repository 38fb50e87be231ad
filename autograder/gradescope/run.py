"""What Gradescope's ``run_autograder`` runs: grade ``/autograder/submission`` into ``/autograder/results/results.json``.

``python -m autograder.gradescope.run`` (from the bundle's ``source`` folder, which holds the ``autograder``
package). The student's upload is read by the intake (:func:`autograder.intake.read_student`): the
assignment folder's contents, the folder itself, a zip of it, or loose modules. One submission is graded
in one bubblewrap sandbox exactly as ``python -m autograder grade`` grades each student, and written as
Gradescope's ``results.json`` (the same document as ``OUT/<student>/results.json``, plus ``execution_time``
and ``output_format``). Nothing else is imported or written: no summary, no gradebook.

The student is Gradescope's user id (``submission_metadata.json``; a group's ids joined by ``+``), mixed into
the seed with the course secret: ``$AUTOGRADER_SECRET`` from Gradescope's environment, else the secret the
bundle was built with (``--embed-secret``), else the public default (said on the instructor's output).
What the instructor sees (the run's standard output, which Gradescope keeps from students) says how long the
run took and how much of it was the sandbox's own work. A ``results.json`` is always written: when grading
cannot run at all (a broken ``points.toml``, bubblewrap required but unavailable) or the grader itself fails
on the submission, it is an *autograder error* (:func:`autograder_error`) that tells the student so, and that
its score is not their grade, while the output names the cause for the instructor.

``--self-test`` checks the reference against the grader's own tests: ``setup.sh`` runs it once when Gradescope
builds the image (a failure fails the build), so the runs, with the same code in the same image, do not repeat it.
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .. import course
from ..grading.grade import Grader, self_test
from ..grading.options import GradeOptions, GradingSetupError
from ..intake import read_student
from ..outputs.student import results_json
from ..seeds import SECRET_VARIABLE
from .bundle import CONFIG, SECRET_FILE

#: The variable that stands for ``/autograder`` (tests run the bundle in a folder of their own).
ROOT_VARIABLE = "GRADESCOPE_ROOT"
DEFAULT_ROOT = "/autograder"
#: Who submitted, when Gradescope's metadata does not say.
UNKNOWN_STUDENT = "student"


def student_of(metadata_path):
    """``(id, name)`` of the submitter from Gradescope's ``submission_metadata.json`` (a group's joined by ``+``)."""
    try:
        users = json.loads(Path(metadata_path).read_text(encoding="utf-8"))["users"]
        ids = "+".join(str(user["id"]) for user in users)
        names = ", ".join(str(user.get("name", "")) for user in users if user.get("name"))
        return ids or UNKNOWN_STUDENT, names
    except (OSError, ValueError, KeyError, TypeError):
        return UNKNOWN_STUDENT, ""


def course_secret(source):
    """The secret from Gradescope's environment, else the bundle's, else None (the public default)."""
    path = Path(source) / SECRET_FILE
    if os.environ.get(SECRET_VARIABLE) or not path.is_file():
        return None
    return path.read_text(encoding="utf-8").strip() or None


def grade_submission(root, stdout):
    """Grade ``root/submission`` into ``root/results/results.json``; the exit status."""
    started = time.perf_counter()
    source = course.COURSE_ROOT
    config = json.loads((source / CONFIG).read_text(encoding="utf-8")) if (source / CONFIG).is_file() else {}
    sandbox_seconds = []

    def on_event(name, **details):
        if name == "sandbox":
            sandbox_seconds.append(details["seconds"])

    # setup.sh self-tested this reference in this image when Gradescope built it: every run need not again.
    options = GradeOptions(require_sandbox=True if config.get("require_sandbox") else None,
                           secret=course_secret(source), on_event=on_event, self_test=False)
    try:
        grader = Grader(options, stderr=stdout)
    except GradingSetupError as error:
        print(f"The autograder could not run, so results.json says so (an autograder error): {error}", file=stdout)
        write_results(root, autograder_error(time.perf_counter() - started))
        return 2
    student_id, name = student_of(root / "submission_metadata.json")
    try:
        with tempfile.TemporaryDirectory(prefix="gradescope-") as work:
            submission = read_student(root / "submission", student_id, Path(work) / "intake")
            submission.name = name
            scratch = Path(work) / "scratch"
            scratch.mkdir()
            student = grader.grade(submission, scratch)
        document = results_json(student, written_max=0)
    except Exception:  # noqa: BLE001 (a grader bug: say so to the instructor, give the student no false score)
        print(f"The grader failed on this submission, so results.json says so (an autograder error):\n"
              f"{traceback.format_exc()}", file=stdout)
        write_results(root, autograder_error(time.perf_counter() - started))
        return 1
    elapsed = time.perf_counter() - started
    document.update(execution_time=math.ceil(elapsed), output_format="text", test_output_format="text")
    write_results(root, document)
    print(f"graded {student_id}: {student.score:g} / {student.max_score:g} in {elapsed:.2f} s, of which the sandbox's "
          f"own work {sum(sandbox_seconds):.2f} s ({grader.sandbox.mode})", file=stdout)
    if grader.default_secret:
        print(f"WARNING: no course secret (${SECRET_VARIABLE} in Gradescope's environment, or a bundle built with "
              "--embed-secret): inputs are predictable.", file=stdout)
    return 0


#: What the student reads when the autograder itself could not grade their submission.
AUTOGRADER_ERROR = ("The autograder could not grade this submission: the error is the autograder's, not your "
                    "code's, and your instructor can see what it was. The score of 0 shown here is not your grade: "
                    "ask your instructor to regrade this submission once the autograder is fixed.")


def autograder_error(seconds):
    """The ``results.json`` of a run the grader itself failed: no tests, 0 points, a message saying why."""
    return {"score": 0.0, "output": AUTOGRADER_ERROR, "tests": [], "visibility": "visible",
            "execution_time": math.ceil(seconds), "output_format": "text", "extra_data": {"autograder_error": True}}


def write_results(root, document):
    """Write ``root/results/results.json`` whole (a partial file first, moved into place)."""
    results = Path(root) / "results"
    results.mkdir(parents=True, exist_ok=True)
    partial = results / "results.json.partial"
    partial.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, results / "results.json")


def main(argv=None, stdout=sys.stdout):
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.run", description=__doc__.split("\n")[0])
    parser.add_argument("--self-test", action="store_true",
                        help="check the reference against the grader's own tests, then exit")
    args = parser.parse_args(argv)
    if args.self_test:
        try:
            self_test()
        except GradingSetupError as error:
            print(error, file=stdout)
            return 2
        print("The reference solution passes every test of the grader.", file=stdout)
        return 0
    root = Path(os.environ.get(ROOT_VARIABLE, DEFAULT_ROOT))
    started = time.perf_counter()
    try:
        return grade_submission(root, stdout)
    except BaseException:  # noqa: BLE001 (whatever failed, Gradescope must get a results.json)
        print(f"The autograder failed, so results.json says so (an autograder error):\n{traceback.format_exc()}",
              file=stdout)
        write_results(root, autograder_error(time.perf_counter() - started))
        return 1


if __name__ == "__main__":
    sys.exit(main())
