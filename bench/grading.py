"""Grading throughput: ``python -m autograder grade`` against plain ``nbgrader autograde`` on the same class.

A synthetic class (:mod:`bench.synthetic_class`: correct, buggy, stub and faulty submissions made from the
release) of 10, 50 and 200 students is laid out as nbgrader's ``submitted/`` folder of a throwaway copy of the
course. For each size, in one run: ``nbgrader autograde loss_optimization --force`` (first, as an instructor
would run it, so that ``grade`` then writes its scores into the gradebook), then ``python -m autograder grade``
with ``--jobs 1`` and ``--jobs 2``. Each command's wall time is measured, and its memory by sampling its process
tree every 0.1 s: the grading process itself, and per job the peak RSS of one sandbox (or, for nbgrader, of
one notebook kernel), which must not grow with the class.

Both tools get the same time limit per call or cell (:data:`TIMEOUT`: ``grade --timeout`` and nbgrader's
``ExecutePreprocessor.timeout``; the course's own 300 s would make nbgrader far slower on the hanging
submissions). ``grade`` keeps its default ``--import-timeout`` for module imports, as an instructor would run
it: a limit nbgrader has no counterpart of (a cell that imports the module gets the cell's limit).
nbgrader runs every notebook, so it is measured at 10 and 50 students, and at 200 only when its measured rate
predicts at most :data:`NBGRADER_BUDGET` seconds; row names say when it was not run.

Issue goals: ``--jobs 2`` at most half of nbgrader's wall time; linear growth (seconds per submission at
200 within 1.5x of that at 10, and, since fixed costs flatter that, the seconds each added submission costs
from 50 to 200 within 1.5x of those from 10 to 50); constant memory per job. ``notes()`` returns a markdown
section with every measurement, a linear fit of wall time against class size, and where the grader's time
goes for one submission (timestamps of the sandbox's events and cProfile of the grading process).

``BENCH_QUICK=1`` (or ``python -m bench.grading --quick``), for development: classes of 10 and 20 (whole
decades of the mix, so their seconds per submission compare), nbgrader at 10 only; about 10 minutes.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox import Limits
from bench.synthetic_class import PYTHON, REPO
from bench.timing import row

SIZES = (10, 50, 200)
#: nbgrader is always measured at these sizes...
NBGRADER_SIZES = (10, 50)
#: ...and at another one only when its measured seconds per submission predict at most this many seconds.
NBGRADER_BUDGET = 15 * 60
#: The same three for development (``--quick``).
QUICK_SIZES, QUICK_NBGRADER_SIZES, QUICK_NBGRADER_BUDGET = (10, 20), (10,), 0
#: Seconds allowed per call (grade) and per cell (nbgrader): what caps the import-time endless loop.
TIMEOUT = 20
JOBS = (1, 2)
SAMPLE_SECONDS = 0.1
MB = 2 ** 20

_notes = ""


@dataclass
class Measurement:
    """One command's wall time and peak memory (bytes of RSS, sampled)."""

    seconds: float
    peak_tree: int  # the command's whole process tree (sum of the RSS of the moment)
    peak_root: int  # the command's own process, the grader or nbgrader (its VmHWM)
    peak_job: int  # one child's subtree: a sandbox (bwrap and what it runs) or a notebook kernel (summed VmHWM)
    load: tuple  # 1-minute load average before and after


def _environment():
    env = dict(os.environ)
    env["PATH"] = f"{PYTHON.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _high_water_mark(pid):
    """The peak RSS of process ``pid`` so far, in bytes (Linux's VmHWM): a short peak between samples counts."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise ValueError(f"no VmHWM for process {pid}")


def measure(command, cwd, log):
    """Run ``command`` in ``cwd`` (output to ``log``), sampling its process tree's memory; fail loudly."""
    import psutil

    peak = {"tree": 0, "root": 0, "job": 0}
    done = threading.Event()

    def rss(processes, high_water=False):
        """Summed RSS of ``processes`` now, or the sum of each one's peak so far (VmHWM) with ``high_water``."""
        total = 0
        for process in processes:
            try:
                total += _high_water_mark(process.pid) if high_water else process.memory_info().rss
            except (psutil.Error, OSError, ValueError):
                pass
        return total

    def sample(root):
        while not done.is_set():
            try:
                jobs = [[child] + child.children(recursive=True) for child in root.children()]
            except psutil.Error:
                jobs = []
            peak["root"] = max(peak["root"], rss([root], high_water=True))
            peak["job"] = max([peak["job"]] + [rss(job, high_water=True) for job in jobs])
            peak["tree"] = max(peak["tree"], rss([root]) + sum(rss(job) for job in jobs))
            done.wait(SAMPLE_SECONDS)

    load_before = os.getloadavg()[0]
    with open(log, "w") as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=_environment(), stdout=output, stderr=subprocess.STDOUT)
        sampler = threading.Thread(target=sample, args=(psutil.Process(process.pid),), daemon=True)
        sampler.start()
        returncode = process.wait()
        seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if returncode != 0:
        tail = Path(log).read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(map(str, command))} exited with status {returncode}:\n{tail}")
    return Measurement(seconds, peak["tree"], peak["root"], peak["job"], (load_before, os.getloadavg()[0]))


def grade(course_root, jobs):
    out = course_root / f"graded-jobs{jobs}"
    command = [str(PYTHON), "-m", "autograder", "grade", "submitted", "--out", str(out), "--jobs", str(jobs),
               "--timeout", str(TIMEOUT), "--quiet"]
    return measure(command, course_root, course_root / f"grade-jobs{jobs}.log"), out


def nbgrader_autograde(course_root):
    """Plain nbgrader: the course's autograde runs no notebook (nbgrader_config.py), so nbgrader's own steps, its
    Execute among them, are given back on the command line (the synthetic class is trusted code)."""
    from nbgrader.converters import Autograde

    steps = [f"--Autograde.autograde_preprocessors={step.__module__}.{step.__name__}"
             for step in Autograde.class_traits()["autograde_preprocessors"].default()]
    command = [str(PYTHON), "-m", "nbgrader", "autograde", "loss_optimization", "--force",
               f"--ExecutePreprocessor.timeout={TIMEOUT}", *steps]
    return measure(command, course_root, course_root / "nbgrader-autograde.log")


# -- checks: a benchmark of wrong grading would be worthless ------------------------------


def check_grade(out, kinds):
    """Every student has rows, correct students have full marks and stubs none."""
    from bench.synthetic_class import corpus_builder

    grades = corpus_builder().read_grades(out)
    problems = []
    for student, kind in kinds.items():
        rows = grades.get(student, [])
        score, worth = sum(r["score"] for r in rows), sum(r["max_score"] for r in rows)
        if not rows or (kind == "correct" and score != worth) or (kind == "stub" and score != 0):
            problems.append(f"{student} ({kind}): {score:g} / {worth:g}")
    if problems:
        raise RuntimeError(f"grade graded {out} wrongly, so its timing means nothing:\n  " + "\n  ".join(problems))


def check_nbgrader(course_root, kinds):
    """nbgrader graded the students' own modules (exclude_overwriting honoured) and scored the same extremes."""
    from nbgrader.api import Gradebook

    from autograder import course

    problems = []
    for student in kinds:
        submitted = course_root / "submitted" / student / course.ASSIGNMENT / course.PACKAGE
        autograded = course_root / "autograded" / student / course.ASSIGNMENT / course.PACKAGE
        for module in sorted(submitted.glob("*.py")):
            if module.read_bytes() != (autograded / module.name).read_bytes():
                problems.append(f"{student}: nbgrader replaced {module.name} (exclude_overwriting not honoured)")
    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}", course_id=course.ASSIGNMENT) as gradebook:
        for student, kind in kinds.items():
            submission = gradebook.find_submission(course.ASSIGNMENT, student)
            score, worth = submission.code_score, submission.max_code_score
            if (kind == "correct" and score != worth) or (kind == "stub" and score != 0):
                problems.append(f"{student} ({kind}): nbgrader scored {score:g} / {worth:g}")
    if problems:
        raise RuntimeError("nbgrader autograde did not grade the students' code, so its timing means nothing:\n  "
                           + "\n  ".join(problems))


# -- where the time goes for one submission -----------------------------------------------


def _profile_child(submitted, out, report):
    """In a fresh process: grade ``submitted`` (one student) in this thread under cProfile; write JSON to ``report``.

    The phases come from the grader's own accounts: the batch's ``timings`` and the ``sandbox`` event
    (startup, imports, calls by module), reported through ``GradeOptions.on_event``.
    """
    import cProfile
    import io
    import pstats

    import psutil

    python_start = time.time() - psutil.Process().create_time()
    imports = {}
    started = time.perf_counter()
    from autograder.grading import GradeOptions, grade_batch

    imports["the grader's modules (numpy, the catalogue, the sandbox)"] = time.perf_counter() - started
    started = time.perf_counter()
    import matplotlib.figure  # noqa: F401 (the summary's plots)

    imports["matplotlib"] = time.perf_counter() - started
    started = time.perf_counter()
    import nbgrader.api  # noqa: F401 (the gradebook)

    imports["nbgrader.api (the gradebook, when there is one)"] = time.perf_counter() - started
    events = []

    def on_event(name, **details):
        events.append((name, details))

    profiler = cProfile.Profile()
    begin = time.perf_counter()
    profiler.enable()
    result = grade_batch(submitted, out, GradeOptions(jobs=1, limits=Limits(timeout=TIMEOUT), on_event=on_event))
    profiler.disable()
    total = time.perf_counter() - begin
    sandbox = next(details for name, details in events if name == "sandbox")
    phases = {"setup: points, reference import and self-test, sandbox probe": result.timings["prepare"],
              "grade the submission": result.timings["grade"],
              "write grades.csv, feedback pages, summary": result.timings["outputs"]}
    inside = dict(sandbox["timings"])
    inside["sandbox: everything else (scratch copy, encoding, teardown)"] = sandbox["seconds"] - sum(inside.values())

    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(10)
    table = text.getvalue().splitlines()
    header = next(index for index, line in enumerate(table) if line.lstrip().startswith("ncalls"))
    top = [line.rstrip().replace(str(REPO / ".venv"), ".venv") for line in table[header:] if line.strip()]
    Path(report).write_text(json.dumps({
        "python_start": python_start, "imports": imports, "total": total, "phases": phases, "sandbox": inside,
        "restarts": sandbox["restarts"], "score": result.students[0].score, "max_score": result.students[0].max_score,
        "top": top[:11],
    }), encoding="utf-8")


def profile_one(course_root):
    """Where ``grade`` spends its time on one correct submission: a dict of phases (see :func:`_profile_child`)."""
    student = next(p for p in sorted((course_root / "submitted").iterdir()) if p.name.endswith("reference_unchanged"))
    folder = course_root / "profile"
    shutil.copytree(student, folder / "submitted" / student.name, symlinks=True)
    report = folder / "report.json"
    script = ("import sys; from bench.grading import _profile_child; "
              "_profile_child(sys.argv[1], sys.argv[2], sys.argv[3])")
    wall = time.perf_counter()
    subprocess.run([str(PYTHON), "-c", script, str(folder / "submitted"), str(folder / "out"), str(report)],
                   cwd=REPO, env=_environment(), check=True, capture_output=True, text=True)
    profile = json.loads(report.read_text(encoding="utf-8"))
    profile["wall"] = time.perf_counter() - wall
    return profile


# -- the run ------------------------------------------------------------------------------


def run(sizes=None, nbgrader_sizes=None, nbgrader_budget=None, quick=None, raw=None):
    """Measure every size; return the result rows (and keep the markdown of :func:`notes`).

    Defaults: :data:`SIZES`, :data:`NBGRADER_SIZES` and :data:`NBGRADER_BUDGET`, or their quick versions with
    ``quick`` (default: the environment variable ``BENCH_QUICK=1``). ``raw``: a JSON file that receives every
    measurement as soon as it is taken (``--render`` redraws from it).
    """
    from bench import synthetic_class

    quick = os.environ.get("BENCH_QUICK") == "1" if quick is None else quick
    defaults = (QUICK_SIZES, QUICK_NBGRADER_SIZES, QUICK_NBGRADER_BUDGET) if quick else (
        SIZES, NBGRADER_SIZES, NBGRADER_BUDGET)
    sizes = tuple(sorted(sizes or defaults[0]))
    always = set(defaults[1] if nbgrader_sizes is None else nbgrader_sizes)
    budget = defaults[2] if nbgrader_budget is None else nbgrader_budget
    measured, skipped, kinds_of = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        print("  building the course and its release ...", flush=True)
        template = synthetic_class.make_course(tmp / "template")
        builder = synthetic_class.corpus_builder()
        profile = None
        for size in sizes:
            course_root = tmp / f"class-{size}"
            shutil.copytree(template, course_root, symlinks=True)
            kinds = synthetic_class.populate(course_root, size, builder)
            kinds_of[size] = kinds
            results = measured[size] = {}
            rate = max((results_["nbgrader"].seconds / n for n, results_ in measured.items()
                        if "nbgrader" in results_), default=None)
            if size in always or (rate is not None and rate * size <= budget):
                print(f"  {size} submissions: nbgrader autograde ...", flush=True)
                results["nbgrader"] = nbgrader_autograde(course_root)
                check_nbgrader(course_root, kinds)
            elif rate is None:
                skipped[size] = "not requested"
            else:
                estimate = f"est. {rate * size / 60:.0f} min"
                skipped[size] = f"{estimate} > {budget / 60:.0f} min budget" if budget > 0 else f"quick mode, {estimate}"
            for jobs in JOBS:
                print(f"  {size} submissions: grade --jobs {jobs} ...", flush=True)
                results[f"jobs{jobs}"], out = grade(course_root, jobs)
                check_grade(out, kinds)
            if profile is None:
                print("  profiling one submission ...", flush=True)
                profile = profile_one(course_root)
            shutil.rmtree(course_root)
            if raw:
                Path(raw).write_text(json.dumps({
                    "sizes": sizes, "measured": {n: {k: vars(m) for k, m in r.items()} for n, r in measured.items()},
                    "skipped": skipped, "kinds": kinds_of[size], "profile": profile}), encoding="utf-8")
    return _finish(sizes, measured, skipped, kinds_of[sizes[-1]], profile)


def _finish(sizes, measured, skipped, kinds, profile):
    global _notes
    _notes = _markdown(sizes, measured, skipped, kinds, profile)
    return _rows(sizes, measured, skipped)


def render_raw(raw):
    """The rows (and :func:`notes`) of a ``raw`` file written by :func:`run`, even one it left unfinished."""
    data = json.loads(Path(raw).read_text(encoding="utf-8"))
    measured = {int(n): {k: Measurement(**m) for k, m in r.items()} for n, r in data["measured"].items()}
    sizes = tuple(n for n in data["sizes"] if n in measured)
    return _finish(sizes, measured, {int(n): e for n, e in data["skipped"].items()}, data["kinds"], data["profile"])


def _nbgrader_scope(measured, skipped):
    if not skipped:
        return ""
    return " (nbgrader not run at " + "; ".join(f"{size}: {why}" for size, why in sorted(skipped.items())) + ")"


def _rows(sizes, measured, skipped):
    rows = []
    scope = _nbgrader_scope(measured, skipped)
    for size in sizes:
        results = measured[size]
        if "nbgrader" not in results:
            continue
        nbgrader = results["nbgrader"].seconds / size
        rows.append(row(f"grade --jobs 2 / nbgrader autograde, {size} submissions{scope}",
                        results["jobs2"].seconds / size, "s/submission", nbgrader, ("<=", 0.5)))
        rows.append(row(f"grade --jobs 1 / nbgrader autograde, {size} submissions",
                        results["jobs1"].seconds / size, "s/submission", nbgrader, ("<=", 1.0)))
    small, large = sizes[0], sizes[-1]
    for jobs in JOBS:
        key = f"jobs{jobs}"
        rows.append(row(f"s/submission at {large} / at {small} (grade --jobs {jobs})",
                        measured[large][key].seconds / large, "s/submission", measured[small][key].seconds / small,
                        ("<=", 1.5)))
    if len(sizes) >= 3:
        # Fixed costs (Python, imports, the summary) flatter the ratio above; the cost of each added
        # submission over the larger sizes, against that over the smaller ones, is not flattered.
        middle = sizes[-2]
        wall = {size: measured[size]["jobs2"].seconds for size in (small, middle, large)}
        rows.append(row(f"added s/submission, {middle} to {large} / {small} to {middle} (grade --jobs 2)",
                        (wall[large] - wall[middle]) / (large - middle), "s/submission",
                        (wall[middle] - wall[small]) / (middle - small), ("<=", 1.5)))
    for jobs in JOBS:
        key = f"jobs{jobs}"
        rows.append(row(f"memory per job (sandbox peak RSS) at {large} / at {small} (grade --jobs {jobs})",
                        measured[large][key].peak_job / MB, "MB", measured[small][key].peak_job / MB, ("<=", 1.25)))
    rows.append(row(f"grading process peak RSS at {large} / at {small} (grade --jobs 2)",
                    measured[large]["jobs2"].peak_root / MB, "MB", measured[small]["jobs2"].peak_root / MB,
                    ("<=", 1.25)))
    rows.append(row(f"grade --jobs 2 / --jobs 1, {large} submissions",
                    measured[large]["jobs2"].seconds, "s", measured[large]["jobs1"].seconds, ("<=", 0.6)))
    return rows


def _fit(points):
    """Least-squares ``seconds = fixed + per_submission * size`` over (size, seconds) pairs."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    return mean_y - slope * mean_x, slope


def _markdown(sizes, measured, skipped, kinds, profile):
    from collections import Counter

    tools = [("grade --jobs 1", "jobs1", 1), ("grade --jobs 2", "jobs2", 2), ("nbgrader autograde", "nbgrader", 1)]
    mix = Counter(kinds.values())
    lines = [
        "## Grading throughput",
        "",
        f"Synthetic class, repeating every 10 students: 4 correct, 3 buggy, 1 stub, 2 faulty (an import-time "
        f"endless loop, and a 4 GB memory hog or a syntax error in turn); at {sizes[-1]}: "
        + ", ".join(f"{count} {kind}" for kind, count in sorted(mix.items()))
        + f". Time limit {TIMEOUT} s per call or cell for both tools (grade --timeout, nbgrader "
          f"ExecutePreprocessor.timeout); grade's default limit on a module import, {Limits.import_timeout:g} s. "
          f"Memory, sampled every {SAMPLE_SECONDS} s (shared libraries count once per process): the largest summed "
          "RSS of the command's process tree; the peak RSS (VmHWM) of its own process; and of one job: a sandbox "
          "with everything it runs, or one notebook kernel (summed VmHWM of its processes).",
        "",
        "| submissions | tool | wall (s) | s per submission | peak RSS, all (MB) | grading process (MB) | "
        "one job (MB) | load avg before/after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        for label, key, _ in tools:
            m = measured[size].get(key)
            if m is None:
                lines.append(f"| {size} | {label} | not run ({skipped[size]}) | | | | | |")
                continue
            lines.append(f"| {size} | {label} | {m.seconds:.1f} | {m.seconds / size:.2f} | {m.peak_tree / MB:.0f} | "
                         f"{m.peak_root / MB:.0f} | {m.peak_job / MB:.0f} | {m.load[0]:.1f} / {m.load[1]:.1f} |")
    lines.append("")
    for label, key, _ in tools:
        fit = _fit([(size, measured[size][key].seconds) for size in sizes if key in measured[size]])
        if fit:
            lines.append(f"- {label}: wall ≈ {fit[0]:.1f} s + {fit[1]:.2f} s × submissions (least squares).")
    if profile:
        lines += ["", _profile_markdown(profile)]
    return "\n".join(lines) + "\n"


def _profile_markdown(profile):
    lines = [
        f"### Where grade's time goes: one correct submission, --jobs 1 ({profile['wall']:.1f} s wall, "
        f"score {profile['score']:g}/{profile['max_score']:g}, {profile['restarts']} sandbox restart(s))",
        "",
        "| phase | seconds |",
        "|---|---|",
        f"| Python start | {profile['python_start']:.2f} |",
    ]
    lines += [f"| import {label} | {seconds:.2f} |" for label, seconds in profile["imports"].items()]
    phases = dict(profile["phases"])
    sandbox = sum(profile["sandbox"].values())
    for label, seconds in sorted(phases.items(), key=lambda item: -item[1]):
        lines.append(f"| {label} | {seconds:.2f} |")
    lines.append(f"| sandbox, in all | {sandbox:.2f} |")
    for label, seconds in sorted(profile["sandbox"].items(), key=lambda item: -item[1]):
        lines.append(f"| &nbsp;&nbsp;{label} | {seconds:.2f} |")
    accounted = sum(profile["phases"].values())
    lines.append(f"| rest of grade_batch (threads, gradebook, bookkeeping) | {profile['total'] - accounted:.2f} |")
    lines += ["", "cProfile of grade_batch in the grading process, top 10 by own time:", "",
              "```", *profile["top"], "```"]
    return "\n".join(lines)


def notes():
    """The markdown section of the last :func:`run`: every measurement and the one-submission profile."""
    return _notes


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"classes of {QUICK_SIZES} (as BENCH_QUICK=1)")
    parser.add_argument("--sizes", type=int, nargs="+", help=f"class sizes to measure (default {SIZES})")
    parser.add_argument("--nbgrader-sizes", type=int, nargs="*",
                        help=f"sizes at which nbgrader always runs (default {NBGRADER_SIZES})")
    parser.add_argument("--nbgrader-budget", type=float,
                        help=f"seconds nbgrader may take at any other size (default {NBGRADER_BUDGET})")
    parser.add_argument("--notes", type=Path, help="also write the markdown section to this file")
    parser.add_argument("--raw", type=Path, help="write every measurement to this JSON file as it is taken")
    parser.add_argument("--render", type=Path, metavar="RAW", help="measure nothing: render a --raw file")
    args = parser.parse_args(argv)
    if args.render:
        rows = render_raw(args.render)
    else:
        rows = run(sizes=args.sizes, nbgrader_sizes=args.nbgrader_sizes, nbgrader_budget=args.nbgrader_budget,
                   quick=args.quick or None, raw=args.raw)
    for r in rows:
        print(f"{r['name']}: {r['value']:.4g} {r['unit']} / {r['baseline']:.4g} {r['unit']} = {r['ratio']:.3g} "
              f"(goal {r['goal']}: {'met' if r['met'] else 'NOT met'})")
    print()
    print(notes())
    if args.notes:
        args.notes.write_text(notes(), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
