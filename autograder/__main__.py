"""Command line: ``python -m autograder COMMAND``. Each command is a thin layer over a library function."""

import argparse
import os
import sys

from . import course
from .grading.options import default_budget
from .sandbox import Limits
from .seeds import SECRET_FILE

#: The fields of the sandbox's Limits that grade takes on its command line (each option is --the-field-name):
#: the grade command builds its Limits from them alone, and every shard records the whole of it for merge.
LIMIT_OPTIONS = ("timeout", "import_timeout", "budget", "memory_mb")
#: grade --sandbox: each choice, and what it asks of bubblewrap (GradeOptions.require_sandbox).
SANDBOXES = {"auto": None, "bwrap": True, "rlimits": False}


def _release(args):
    from .release import ReleaseError, build_release

    try:
        release_dir = build_release(course_root=args.course_root, assignment=args.assignment)
    except ReleaseError as error:
        print(f"release failed: {error}", file=sys.stderr)
        return 1
    print(f"wrote {release_dir}")
    return 0


def _secret(args):
    from .seeds import SECRET_VARIABLE, SecretError, create_secret

    use = f'before grading, export {SECRET_VARIABLE}="$(cat {args.path})"'
    try:
        path = create_secret(args.path)
    except FileExistsError as error:  # the route is followed again, for the next assignment: nothing to do
        print(f"{error}; {use}")
        return 0
    except SecretError as error:
        print(f"secret refused: {error}", file=sys.stderr)
        return 2
    print(f"wrote a new course secret to {path} (readable by you only); {use}")
    return 0


def _secret_checked():
    """The warning to give once graded when the course secret is missing ("" when set); None when it is set but
    empty, which refuses grading (said on stderr)."""
    from .seeds import SecretError, secret_warning

    try:
        return secret_warning() or ""
    except SecretError as error:
        print(f"grading could not run: {error}", file=sys.stderr)
        return None


def _grade(args):
    from .catalogue import GradingError
    from .grading import GradeOptions, GradingSetupError, Shard, grade_batch
    from .nbgrader_hooks.gradebook import GradebookConfigError, default_gradebook_url

    secret_warning = _secret_checked()
    if secret_warning is None:
        return 2
    require = SANDBOXES[args.sandbox]
    try:
        shard = Shard.parse(args.shard) if args.shard is not None else None
        gradebook = None
        if args.gradebook == "auto":
            # Shards leave the gradebook to merge, which writes it once for the whole batch.
            gradebook = default_gradebook_url(args.submitted) if shard is None else None
        elif args.gradebook != "none":
            gradebook = args.gradebook
        limits = Limits(**{name: getattr(args, name) for name in LIMIT_OPTIONS})
        options = GradeOptions(jobs=args.jobs, limits=limits, seed=args.seed, require_sandbox=require,
                               gradebook=gradebook, progress=not args.quiet, shard=shard, roster=args.roster,
                               force=args.force, late_policy=args.late_policy)
        result = grade_batch(args.submitted, args.out, options)
    except (GradingSetupError, GradingError, GradebookConfigError) as error:
        print(f"grading could not run: {error}", file=sys.stderr)
        return 2
    if secret_warning:
        print(secret_warning, file=sys.stderr)
    part = f", shard {shard} of a batch of {len(result.batch_students)}" if shard else ""
    return _report(result, f"graded {len(result.students)} submissions{part}")


def _merge(args):
    from .grading import MergeError, merge

    try:
        result = merge(args.shards, args.out, gradebook=args.gradebook, force=args.force)
    except MergeError as error:
        print(f"merge refused: {error}", file=sys.stderr)
        return 2
    return _report(result, f"merged {len(args.shards)} shards: {len(result.students)} submissions")


def _similarity(args):
    from .similarity import SimilarityError, find_pairs, write_report

    try:
        pairs, students = find_pairs(args.graded, public=args.public, threshold=args.threshold)
    except SimilarityError as error:
        print(f"similarity refused: {error}", file=sys.stderr)
        return 2
    html, _ = write_report(pairs, students, args.graded, args.out or args.graded, args.threshold, args.public)
    print(f"compared {students} students: {len(pairs)} pair(s) at or above {args.threshold:.0%}; see {html} "
          "(evidence for a person to judge; no grade was changed)")
    return 0


def _written(args):
    import tempfile

    from .grading.submissions import expected_notebooks
    from .intake.batch import SubmissionsError, read_batch
    from .outputs.written import WrittenError, answers, notebooks_of, page, write_pdfs

    with tempfile.TemporaryDirectory(prefix="autograder-written-") as workdir:
        try:
            batch = read_batch(args.submitted, workdir)
        except SubmissionsError as error:
            print(f"written refused: {error}", file=sys.stderr)
            return 2
        expected = expected_notebooks()
        pages = {s.student_id: page(s.student_id, [(name, answers(path, name)) for name, path in notebooks_of(s, expected)])
                 for s in batch.submissions}
        try:
            written = write_pdfs(pages, args.out)
        except WrittenError as error:
            print(f"written refused: {error}", file=sys.stderr)
            return 2
    print(f"wrote the written answers of {len(written)} students to {args.out}/<student_id>.pdf")
    return 0


def _export(args):
    from .lms.export import ExportError, export
    from .lms.roster import RosterError, read_roster
    from .nbgrader_hooks.gradebook import GradebookConfigError, course_gradebook_url, display_url

    try:
        roster = read_roster(args.roster) if args.roster else None
        gradebook = {"auto": lambda: course_gradebook_url("."), "none": lambda: None}.get(
            args.gradebook, lambda: args.gradebook)()
        done = export(args.graded, args.format, args.out, roster, gradebook, args.part, args.assignment, args.force,
                      canvas_gradebook=args.canvas_gradebook, max_grade=args.max_grade, language=args.language,
                      moodle_worksheet=args.moodle_worksheet)
    except (ExportError, RosterError, GradebookConfigError) as error:
        print(f"export refused: {error}", file=sys.stderr)
        return 2
    source = f", written answers from {display_url(gradebook)}" if gradebook and args.part == "total" else ""
    print(f"wrote {done.count} students' {'totals' if args.part == 'total' else 'code points'} to {args.out} "
          f"({args.format}{source})")
    for note in done.notes:
        print(note, file=sys.stderr)
    if done.absent:
        print(f"{len(done.absent)} student(s) of the roster have no grade in {args.graded} and were not written: "
              f"{', '.join(done.absent)}", file=sys.stderr)
    if gradebook and args.part == "total":
        _warn_stale_pages(args.graded, gradebook)
    return 0


def _warn_stale_pages(graded, gradebook):
    """Say on stderr whose feedback pages predate the gradebook's written scores, and how to refresh them."""
    from .lms.export import read_totals
    from .nbgrader_hooks.gradebook import stale_pages

    try:
        stale = stale_pages(read_totals(graded), gradebook)
    except Exception as error:  # noqa: BLE001 (the export is written; this check only advises)
        print(f"warning: could not check whether the feedback pages are current: {type(error).__name__}: {error}",
              file=sys.stderr)
        return
    if stale:
        print(f"warning: the written answers of {len(stale)} student(s) were graded after their feedback pages were "
              f"written ({', '.join(stale)}): this export has the new scores, the pages do not. Refresh them: "
              f"python -m autograder grade SUBMITTED --out {graded} --force (with the options of the first run), "
              f"then nbgrader generate_feedback {course.ASSIGNMENT} --force", file=sys.stderr)


def _gradescope(args):
    from .gradescope.bundle import build_bundle
    from .seeds import SECRET_VARIABLE

    secret = os.environ.get(SECRET_VARIABLE) if args.embed_secret else None
    if args.embed_secret and not secret:
        print(f"gradescope refused: --embed-secret puts ${SECRET_VARIABLE} into the bundle, and it is not set.",
              file=sys.stderr)
        return 2
    names = build_bundle(args.out, require_sandbox=args.require_sandbox, secret=secret)
    print(f"wrote {args.out} ({len(names)} files): upload it as the autograder of a Gradescope programming assignment "
          "(see autograder/GRADING.md)")
    return 0


def _report(result, what):
    """Print what a grade or merge run wrote; the exit status (1 when the grader failed on a submission)."""
    students = result.students
    if students:
        mean = sum(s.score for s in students) / len(students)
        what += f" (mean {mean:.1f} / {students[0].max_score:g})"
    print(f"{what}; wrote {result.out / 'grades.csv'} and {result.out / 'summary.html'}")
    if result.sandbox_warning:
        print(result.sandbox_warning, file=sys.stderr)
    if result.gradebook_note:
        print(result.gradebook_note)
    if result.grader_errors:
        print(f"the grader failed on {len(result.grader_errors)} submission(s) (see above and OUT/.logs/): "
              f"{', '.join(s.student_id for s in result.grader_errors)}", file=sys.stderr)
        return 1
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    release = commands.add_parser("release", help="regenerate assignments/ from solutions/")
    release.add_argument("--assignment", default=course.ASSIGNMENT)
    release.add_argument("--course-root", default=str(course.COURSE_ROOT),
                         help="the nbgrader course to build (default: the one this autograder belongs to)")
    release.set_defaults(run=_release)

    _add_grade(commands)

    merge = commands.add_parser(
        "merge", help="combine the outputs of grade --shard I/N into one batch",
        description="Combine the --out folders of every shard of one batch (grade --shard 0/N ... N-1/N) into OUT: "
                    "one grades.csv (as if graded in one run), seeds.csv, the student folders and one summary.html. "
                    "Refuses (exit status 2, nothing written) missing or repeated shards, shards of different splits "
                    "or batches, and shards graded with different seeds, secrets, limits of the sandbox, points or "
                    "code.")
    merge.add_argument("shards", nargs="+", metavar="SHARD_OUT", help="the --out folder of each shard")
    merge.add_argument("--out", required=True, help="output folder of the combined batch (new or empty)")
    merge.add_argument("--force", action="store_true",
                       help="replace OUT whole when it holds the outputs of an earlier run")
    merge.add_argument("--gradebook", default="auto",
                       help="nbgrader gradebook URL to write the scores into; 'auto' (default): the course's "
                            "gradebook found from the SUBMITTED folder the shards graded, as grade does; 'none'")
    merge.set_defaults(run=_merge)

    _add_export(commands)
    _add_gradescope(commands)
    _add_similarity(commands)
    written = commands.add_parser(
        "written", help="the notebooks' written answers as a PDF per student (Gradescope manual questions, paper)",
        description="Read SUBMITTED as grade does and print each student's hand-graded answer cells, each under its "
                    "question, to OUT/<student_id>.pdf with headless Chromium (JavaScript off, nothing loaded).")
    written.add_argument("submitted", help="the submissions, as for grade (a folder per student, an LMS download)")
    written.add_argument("--out", required=True, help="folder to write the PDFs into")
    written.set_defaults(run=_written)
    secret = commands.add_parser(
        "secret", help="create the course secret file",
        description="Write a new random course secret, readable by you only, to PATH (never replacing one). Every "
                    "student's inputs depend on it: keep it out of the repository and export it before grading.")
    secret.add_argument("--path", default=SECRET_FILE, help=f"the file to create (default {SECRET_FILE})")
    secret.set_defaults(run=_secret)
    return parser


def _add_similarity(commands):
    from .similarity.compare import THRESHOLD

    similarity = commands.add_parser(
        "similarity", help="compare every pair of students' graded code (evidence for a person, no grade change)",
        description="Compare the graded modules of every pair of students of GRADED (the --out folder of grade or "
                    "merge, which keeps them in .code/) by winnowed fingerprints (copydetect), the release's stubs "
                    "left out; write similarity.html (shared code side by side, and what the grader saw: the same "
                    "wrong values on different inputs, the same rare mistakes) and similarity.csv.")
    similarity.add_argument("graded", help="the --out folder of python -m autograder grade (or merge)")
    similarity.add_argument("--public", metavar="FOLDER",
                            help="known public solutions, one subfolder each, compared with every student")
    similarity.add_argument("--threshold", type=float, default=THRESHOLD,
                            help=f"share of one side's code found in the other from which a pair is shown "
                                 f"(default {THRESHOLD})")
    similarity.add_argument("--out", help="folder to write the report into (default: GRADED)")
    similarity.set_defaults(run=_similarity)


def _add_grade(commands):
    grade = commands.add_parser(
        "grade", help="grade a batch of submissions in sandboxes",
        description="Grade SUBMITTED: nbgrader's submitted/ folder (<student_id>/loss_optimization/), a folder or zip "
                    "per student, or a Moodle, Canvas or Blackboard bulk download (.zip); write OUT/grades.csv, "
                    "OUT/totals.csv, OUT/<student_id>/results.json and feedback.html, and OUT/summary.html. The "
                    "outputs are written beside OUT and moved into place when complete. Exit status 0 when the "
                    "batch was graded, whatever the scores. The course secret mixed into every student's seed comes "
                    "from $AUTOGRADER_SECRET.")
    grade.add_argument("submitted", help="folder of <student_id>/ folders or zips, or an LMS download (.zip)")
    grade.add_argument("--out", required=True,
                       help="output folder: new or empty (one that holds an earlier run's outputs needs --force)")
    grade.add_argument("--force", action="store_true",
                       help="replace OUT whole when it holds the outputs of an earlier run (a folder that is not an "
                            "output of the autograder is never replaced)")
    grade.add_argument("--roster", metavar="CSV",
                       help="roster mapping the LMS's ids (Canvas user id, Moodle participant id, Blackboard user "
                            "name) to the course's student ids: columns student_id and lms_id, optionally name, "
                            "email, section, sis_user_id, sis_login_id")
    grade.add_argument("--late-policy", metavar="TOML",
                       help="the course's late policy: deadline, extensions, penalty per day or hour, grace, cutoff "
                            "(a TOML file, or a course file with a [late] table; see GRADING.md). Default: none")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    grade.add_argument("--timeout", type=float, default=Limits.timeout,
                       help=f"seconds allowed for each call of a student function (default {Limits.timeout:g})")
    grade.add_argument("--import-timeout", type=float, default=Limits.import_timeout,
                       help="seconds allowed for importing each student module: an endless loop at module level "
                            f"costs this, not --timeout (default {Limits.import_timeout:g})")
    grade.add_argument("--budget", type=float, default=None,
                       help="seconds one submission may take in all: imports, calls and restarts together; what it "
                            "cuts is named in the summary (default: twice each time limit plus 20 s, "
                            f"{default_budget(Limits.timeout, Limits.import_timeout):g} s with the default limits)")
    grade.add_argument("--memory-mb", type=int, default=Limits.memory_mb,
                       help="MB of address space each process of the sandbox may take (default "
                            f"{Limits.memory_mb}); all of them together hold at most {Limits.sandbox_memory_mb} MB")
    grade.add_argument("--seed", type=int, default=0, help="batch seed mixed into every student's inputs (default 0)")
    grade.add_argument("--sandbox", choices=tuple(SANDBOXES), default="auto",
                       help="bwrap: fail unless bubblewrap runs; rlimits: resource limits only; auto (default): "
                            "bubblewrap when it works, else resource limits with a loud warning")
    grade.add_argument("--gradebook", default="auto",
                       help="nbgrader gradebook URL to write scores into (e.g. sqlite:///gradebook.db or "
                            "postgresql://grader@db.example.edu/course); 'auto' (default): the gradebook of the course "
                            "whose submitted/ folder SUBMITTED is (the db_url of its nbgrader_config.py, else its "
                            "gradebook.db), if there is one; 'none': do not write. With --shard, 'auto' writes "
                            "nothing: merge writes the gradebook")
    grade.add_argument("--shard", metavar="I/N",
                       help="grade only the I-th of N parts of the batch (I from 0 to N-1: the k-th student in "
                            "sorted order is in part k mod N) and write OUT/shard.json for merge; e.g. --shard "
                            "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT or $JOB_COMPLETION_INDEX/N")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")
    grade.set_defaults(run=_grade)


def _add_export(commands):
    from .lms.export import FORMATS, PARTS
    from .lms.moodle import LANGUAGES

    export = commands.add_parser(
        "export", help="write the grades of a graded batch in an LMS's import format",
        description="Write one row per student of GRADED (the --out folder of grade or merge) with the assignment's "
                    "total: the code's points from GRADED/totals.csv plus the written answers' from nbgrader's "
                    "gradebook. Formats: " + ", ".join(f"{name} ({where})" for name, where in FORMATS.items())
                    + ". Exit status 2 with `export refused: ...` when it cannot (written answers not "
                    "graded yet, a student the LMS could not find), nothing written.")
    export.add_argument("graded", help="the --out folder of python -m autograder grade (or merge)")
    export.add_argument("--format", required=True, choices=tuple(FORMATS))
    export.add_argument("--out", required=True, help="the CSV file to write")
    export.add_argument("--roster", metavar="CSV", help="names, emails and LMS ids of the students (see grade --roster)")
    export.add_argument("--gradebook", default="auto",
                        help="nbgrader gradebook URL to read the written answers' scores from; 'auto' (default): the "
                             "gradebook of the course in the current folder, if any; 'none'")
    export.add_argument("--part", choices=tuple(PARTS), default="total",
                        help="; ".join(f"{name}{' (default)' if name == 'total' else ''}: {what}"
                                       for name, what in PARTS.items()))
    export.add_argument("--assignment",
                        help="canvas: the assignment's column as Canvas's gradebook export heads it, 'Name (id)' "
                             "(required unless --canvas-gradebook is given; with it, the assignment's name, default "
                             f"{course.ASSIGNMENT})")
    export.add_argument("--canvas-gradebook", metavar="CSV",
                        help="canvas: a gradebook exported from Canvas (Grades > Export), read for the assignment's "
                             "column, its points possible and the course's students")
    export.add_argument("--max-grade", type=float, metavar="POINTS",
                        help="the assignment's maximum grade in the LMS (required for moodle): scores are scaled to "
                             "it; for canvas it must match the gradebook's points possible")
    export.add_argument("--moodle-worksheet", metavar="CSV",
                        help="moodle: a grading worksheet downloaded from the assignment, checked for the columns of "
                             "--language and for every exported participant id")
    export.add_argument("--language", default="en", metavar="CODE",
                        help="moodle: the language of your Moodle interface, in which Moodle reads the worksheet's "
                             "columns: " + ", ".join(f"{code} (default)" if code == "en" else code
                                                     for code in LANGUAGES))
    export.add_argument("--force", action="store_true", help="replace --out if it exists")
    export.set_defaults(run=_export)


def _add_gradescope(commands):
    gradescope = commands.add_parser(
        "gradescope", help="build the Gradescope autograder zip",
        description="Write a Gradescope autograder (setup.sh, run_autograder, the grader and the reference) that "
                    "grades each submission in a bubblewrap sandbox into /autograder/results/results.json. The course "
                    "secret comes from $AUTOGRADER_SECRET in Gradescope's environment, or from the bundle "
                    "(--embed-secret).")
    gradescope.add_argument("--out", required=True, help="the zip to write, e.g. autograder.zip")
    gradescope.add_argument("--require-sandbox", action="store_true",
                            help="fail (no results.json) where bubblewrap cannot run in Gradescope's container, "
                                 "instead of grading with resource limits only")
    gradescope.add_argument("--embed-secret", action="store_true",
                            help="put $AUTOGRADER_SECRET into the bundle, for when Gradescope's environment has none "
                                 "(anyone who can download the autograder can read it)")
    gradescope.set_defaults(run=_gradescope)


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
