"""What attacks cost the grader: an honest batch against the grader before issue 10, the worst submission
against its budget, and the grader's memory with every bomb in the batch against an honest batch's.

All in one run, on this machine:

- **Honest batch.** Ten copies of the reference, graded with ``--jobs 2`` by this grader and by the grader
  of :data:`BASELINE_COMMIT` (the last one before the sandbox's redesign: one worker process per
  submission, no read-only inputs, no reference loss service), exported from git into a temporary folder
  and run with the same interpreter. Each is run :data:`REPEATS` times; the best run counts (noise only
  adds time). Goal: seconds per submission at most 1.2x the old grader's.
- **Worst submission.** A submission built to cost the most: every student module sleeps just under the
  import limit at import, and every graded function sleeps just under the call limit and then ends its
  process, so that each call costs a fresh import too. Graded alone with the default limits; the goal is that
  it costs at most the per-submission budget (the run names what the budget cut).
- **Memory.** The corpus's every cheat and fault (fork bombs, memory hogs, floods, a 160 MB result, a
  150,000-cell notebook, JSON nested 100,000 deep...) graded in one batch with ten honest submissions,
  against the ten honest submissions alone: the grading process's peak RSS (VmHWM) at most 1.5x.
- **The loss service** (issue 16; ``python -m bench.safety --service`` measures these rows alone and keeps the
  others). The same honest batch by this grader and by the grader of :data:`SERVICE_BASELINE_COMMIT` (the last
  one before the service was bounded): seconds per submission at most 1.1x. And the worst requests for the loss
  a model's train can send within the service's bounds (:data:`SERVICE_ATTACKS`: as many full-size minibatches
  as it answers, or as many one-row ones, after training honestly), :data:`SERVICE_STUDENTS` such submissions
  graded in one batch against as many honest ones: the grading process's own CPU time (its threads, not the
  sandboxes) and peak RSS at most 1.5x the honest batch's.
"""

import dataclasses
import json
import shutil
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from autograder import course, graded
from autograder.grading.options import default_budget
from autograder.sandbox import Limits
from bench.grading import measure
from bench.synthetic_class import PYTHON, REPO, corpus_builder
from bench.timing import row

BASELINE_COMMIT = "060c04a"
#: The last commit before the loss service answered only what the train in progress may ask (issue 16).
SERVICE_BASELINE_COMMIT = "2e607c1"
SERVICE_STUDENTS = 4
SERVICE_REPEATS = 3
#: The honest batches now and before alternate this many times (wall time on a shared machine is noisy).
SERVICE_HONEST_REPEATS = 5
HONEST = 10
REPEATS = 2
MB = 2 ** 20
#: The worst submission's modules: each sleeps this far below the import limit, its functions below the call limit.
MARGIN = 0.5

_notes = ""

WORST_MODULE = '''
import os as _os
import time as _time

_time.sleep({import_seconds})


def _slow_exit(*args, **kwargs):
    _time.sleep({call_seconds})
    _os._exit(0)
'''
#: The graded functions of each module (their declarations), replaced by the slow exit. Not the classifiers: a
#: class replaced by a function fails at once when the runner subclasses it, and costs nothing.
FUNCTIONS = {}
for _function in graded.FUNCTIONS:
    if _function.kind != "classifier":
        FUNCTIONS.setdefault(f"{_function.module}.py", []).append(_function.name)

GRADE_AND_RECORD = """
import json, sys
from autograder.grading import GradeOptions, grade_batch
seconds = {}
def on_event(name, **details):
    if name == "graded":
        seconds[details["student"]] = details["seconds"]
result = grade_batch(sys.argv[1], sys.argv[2], GradeOptions(jobs=int(sys.argv[4]), on_event=on_event))
cut = {s.student_id: s.cut for s in result.students if s.cut}
open(sys.argv[3], "w").write(json.dumps({"seconds": seconds, "cut": cut, "budget": result.limits["budget"]}))
"""


#: A model's train that trains honestly, then asks for the loss of ``{rows}``-row minibatches until refused.
SERVICE_ATTACK = """

_honest_train = LinearClassifier.train


def _train_then_ask_until_refused(self, X, y, **kwargs):
    history = _honest_train(self, X, y, **kwargs)
    rows = min({rows}, 2 * X.shape[0])
    indices = np.arange(rows) % X.shape[0]
    while True:
        self.loss(X[indices], y[indices], kwargs["reg"])


LinearClassifier.train = _train_then_ask_until_refused
"""
#: The attacks measured: the most rows the service answers (the training set twice over each time), and the
#: most requests (one row each).
SERVICE_ATTACKS = {"full-size minibatches": 10 ** 9, "one-row minibatches": 1}

GRADE_AND_COST = """
import json, resource, sys
from autograder.grading import GradeOptions, grade_batch
grade_batch(sys.argv[1], sys.argv[2], GradeOptions(jobs=int(sys.argv[4])))
usage = resource.getrusage(resource.RUSAGE_SELF)
peak = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:"))
open(sys.argv[3], "w").write(json.dumps({"cpu": usage.ru_utime + usage.ru_stime, "peak": peak}))
"""


def _honest(builder, submitted, release, count=HONEST):
    case = next(c for c in builder.load_cases(builder.CORPUS_DIR) if c.id == "reference_unchanged")
    cases = [dataclasses.replace(case, id=f"honest{index:02d}") for index in range(count)]
    builder.build_submissions(cases, submitted, submitted.parent / "out", "bench-safety", release_copy=release)


def _worst(submitted):
    """The worst submission: the reference with every graded module sleeping under each limit."""
    limits = Limits()
    header = WORST_MODULE.format(import_seconds=limits.import_timeout - MARGIN, call_seconds=limits.timeout - MARGIN)
    package = submitted / "worst" / course.ASSIGNMENT / course.PACKAGE
    shutil.copytree(course.reference_dir() / course.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    for module, names in FUNCTIONS.items():
        path = package / module
        path.write_text(path.read_text() + header + "".join(f"\n{name} = _slow_exit\n" for name in names))


def _baseline_tree(root, commit=BASELINE_COMMIT):
    """The grader of ``commit`` (its autograder/ and solutions/), exported into ``root``."""
    archive = subprocess.run(["git", "archive", "--format=tar", commit, "autograder", "solutions",
                              "nbgrader_config.py", "data"], cwd=REPO, capture_output=True, check=True).stdout
    root.mkdir(parents=True)
    archive_path = root / "baseline.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(root, filter="data")
    return root


def _grade(grader_root, submitted, out, log, jobs=2):
    """``python -m autograder grade`` from ``grader_root`` (cwd first on sys.path: its own autograder)."""
    if out.exists():
        shutil.rmtree(out)
    return measure([str(PYTHON), "-m", "autograder", "grade", str(submitted), "--out", str(out), "--jobs", str(jobs),
                    "--quiet", "--gradebook", "none"], grader_root, log)


def _record(submitted, out, log, jobs):
    """Grade in a driver process that records each student's seconds; (Measurement, record)."""
    report = out.parent / f"{out.name}.json"
    measurement = measure([str(PYTHON), "-c", GRADE_AND_RECORD, str(submitted), str(out), str(report), str(jobs)],
                          REPO, log)
    return measurement, json.loads(report.read_text())


def _cost(submitted, out, log, jobs=2):
    """The grading process's own CPU seconds and peak RSS for grading ``submitted``."""
    report = out.parent / f"{out.name}.cost.json"
    if out.exists():
        shutil.rmtree(out)
    measure([str(PYTHON), "-c", GRADE_AND_COST, str(submitted), str(out), str(report), str(jobs)], REPO, log)
    return json.loads(report.read_text())


def _service_attackers(builder, submitted, release, rows):
    case = next(c for c in builder.load_cases(builder.CORPUS_DIR) if c.id == "reference_unchanged")
    patch = {"module": "models.py", "append": SERVICE_ATTACK.replace("{rows}", str(rows))}
    cases = [dataclasses.replace(case, id=f"asks{index:02d}", spec={**case.spec, "patch": [patch]})
             for index in range(SERVICE_STUDENTS)]
    builder.build_submissions(cases, submitted, submitted.parent / "out", "bench-safety", release_copy=release)


def service_rows(builder, tmp, release):
    """The loss service's rows (see the module's docstring) and their notes."""
    honest = tmp / "service-honest" / "submitted"
    _honest(builder, honest, release)
    baseline = _baseline_tree(tmp / "service-baseline", SERVICE_BASELINE_COMMIT)
    runs = {"now": [], "before": []}
    for attempt in range(SERVICE_HONEST_REPEATS):
        for label, root in (("now", REPO), ("before", baseline)):
            runs[label].append(_grade(root, honest, tmp / f"service-{label}", tmp / f"service-{label}-{attempt}.log"))
    now, before = (min(runs[label], key=lambda m: m.seconds) for label in ("now", "before"))
    rows = [row(f"honest batch of {HONEST}, --jobs 2: s per submission, grader now / before issue 16",
                now.seconds / HONEST, "s", before.seconds / HONEST, ("<=", 1.1))]
    few = tmp / "service-few" / "submitted"
    _honest(builder, few, release, count=SERVICE_STUDENTS)
    honest_cost = min((_cost(few, tmp / "few-out", tmp / f"few-{n}.log") for n in range(SERVICE_REPEATS)),
                      key=lambda cost: cost["cpu"])
    attacks = {}
    for name, size in SERVICE_ATTACKS.items():
        submitted = tmp / f"service-{size}" / "submitted"
        _service_attackers(builder, submitted, release, size)
        attacks[name] = min((_cost(submitted, tmp / f"attack-{size}-out", tmp / f"attack-{size}-{n}.log")
                             for n in range(SERVICE_REPEATS)), key=lambda cost: cost["cpu"])
    cpu_worst = max(attacks, key=lambda name: attacks[name]["cpu"])
    peak_worst = max(attacks, key=lambda name: attacks[name]["peak"])
    rows.append(row(f"the worst loss-service requests ({cpu_worst}), {SERVICE_STUDENTS} submissions: grader CPU / "
                    "honest ones'", attacks[cpu_worst]["cpu"], "s", honest_cost["cpu"], ("<=", 1.5)))
    rows.append(row(f"the worst loss-service requests ({peak_worst}), {SERVICE_STUDENTS} submissions: grader peak "
                    "RSS / honest ones'", attacks[peak_worst]["peak"] / MB, "MB", honest_cost["peak"] / MB, ("<=", 1.5)))
    notes = [
        "### What the loss service costs (bench.safety --service)",
        "",
        f"- Honest batch of {HONEST}, best of {SERVICE_HONEST_REPEATS}: {now.seconds:.1f} s now, {before.seconds:.1f} s "
        f"with the grader of {SERVICE_BASELINE_COMMIT}; 1-minute load average {now.load[0]:.1f} before the best run "
        f"(2 cores).",
        f"- {SERVICE_STUDENTS} honest submissions (best of {SERVICE_REPEATS}): grading process "
        f"{honest_cost['cpu']:.2f} s of CPU, peak {honest_cost['peak'] / MB:.0f} MB. The same number of submissions "
        "whose trains, after training, ask for the loss until the service refuses: "
        + "; ".join(f"{name} {cost['cpu']:.2f} s, {cost['peak'] / MB:.0f} MB" for name, cost in attacks.items()) + ".",
        "",
    ]
    return rows, "\n".join(notes)


def run():
    global _notes
    builder = corpus_builder()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-safety-") as tmp:
        tmp = Path(tmp)
        release = builder.build_release_copy(tmp / "release")
        honest = tmp / "honest" / "submitted"
        _honest(builder, honest, release)
        baseline = _baseline_tree(tmp / "baseline")
        runs = {"now": [], "before": []}
        for attempt in range(REPEATS):
            for label, root in (("now", REPO), ("before", baseline)):
                runs[label].append(_grade(root, honest, tmp / f"out-{label}", tmp / f"{label}-{attempt}.log"))
        now, before = (min(runs[label], key=lambda m: m.seconds) for label in ("now", "before"))
        rows.append(row(f"honest batch of {HONEST}, --jobs 2: s per submission, grader now / before issue 10",
                        now.seconds / HONEST, "s", before.seconds / HONEST, ("<=", 1.2)))

        worst = tmp / "worst" / "submitted"
        _worst(worst)
        started = time.perf_counter()
        _, record = _record(worst, tmp / "worst" / "out", tmp / "worst.log", jobs=1)
        worst_wall = time.perf_counter() - started
        budget = default_budget(Limits.timeout, Limits.import_timeout)
        rows.append(row("the worst submission (sleeps under every limit, then exits): its seconds / the budget",
                        record["seconds"]["worst"], "s", budget, ("<=", 1.0)))

        bombs = tmp / "bombs" / "submitted"
        cases = [c for c in builder.load_cases(builder.CORPUS_DIR) if c.kind in ("cheat", "fault")]
        builder.build_submissions(cases, bombs, bombs.parent / "out", "bench-safety", release_copy=release)
        _honest(builder, bombs, release)
        honest_memory = _grade(REPO, honest, tmp / "honest-out", tmp / "honest.log")
        bomb_memory, bomb_record = _record(bombs, tmp / "bombs" / "out", tmp / "bombs.log", jobs=2)
        rows.append(row(f"grader peak RSS: {len(cases)} bombs + {HONEST} honest / {HONEST} honest",
                        bomb_memory.peak_root / MB, "MB", honest_memory.peak_root / MB, ("<=", 1.5)))
        slowest = max(bomb_record["seconds"].items(), key=lambda item: item[1])
        rows.append(row(f"the costliest bomb of the corpus ({slowest[0]}): its seconds / the budget", slowest[1], "s",
                        budget, ("<=", 1.0)))
        service, service_notes = service_rows(builder, tmp, release)
        rows += service
    _notes = "\n".join([
        "### What attacks cost (bench.safety)",
        "",
        f"- Honest batch of {HONEST}, best of {REPEATS}: {now.seconds:.1f} s now, {before.seconds:.1f} s with the "
        f"grader of {BASELINE_COMMIT}; grading process peak {now.peak_root / MB:.0f} MB now, "
        f"{before.peak_root / MB:.0f} MB before.",
        f"- The worst submission: {record['seconds']['worst']:.1f} s ({worst_wall:.1f} s with Python's start), "
        f"budget {budget:g} s; what was cut: {record['cut'].get('worst', 'nothing')}.",
        f"- Bombs batch: {len(cases)} cheats and faults with {HONEST} honest submissions, {bomb_memory.seconds:.0f} s "
        f"with --jobs 2, grading process peak {bomb_memory.peak_root / MB:.0f} MB (honest alone "
        f"{honest_memory.peak_root / MB:.0f} MB), one sandbox's peak {bomb_memory.peak_job / MB:.0f} MB. Cut by "
        f"their budget: {', '.join(sorted(bomb_record['cut'])) or 'none'}.",
        "",
        service_notes,
    ])
    return rows


def notes():
    return _notes


SERVICE_NOTES_TITLE = "### What the loss service costs"


def run_service_only():
    """Measure the loss service's rows alone and store them among bench.safety's others (results.json/.md)."""
    import datetime

    from bench.__main__ import BENCH_DIR, BENCHMARKS, RESULTS_JSON, plot, render

    builder = corpus_builder()
    with tempfile.TemporaryDirectory(prefix="bench-safety-") as tmp:
        tmp = Path(tmp)
        rows, service_notes = service_rows(builder, tmp, builder.build_release_copy(tmp / "release"))
    results = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
    entry = results.setdefault("bench.safety", {"measured": "", "rows": [], "notes": ""})
    names = {r["name"] for r in rows}
    entry["rows"] = [r for r in entry["rows"] if r["name"] not in names and "loss-service" not in r["name"]
                     and "before issue 16" not in r["name"]] + rows
    kept = entry["notes"].split(SERVICE_NOTES_TITLE)[0].rstrip("\n")
    entry["notes"] = kept + "\n\n" + service_notes
    when = f" (loss service {datetime.datetime.now():%Y-%m-%d %H:%M})"
    entry["measured"] = entry["measured"].split(" (loss service")[0] + when
    results = {name: results[name] for name in BENCHMARKS if name in results}
    RESULTS_JSON.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    plot(results, BENCH_DIR / "results.png")
    (BENCH_DIR / "results.md").write_text(render(results, BENCH_DIR / "results.png"), encoding="utf-8")
    return rows


if __name__ == "__main__":
    import sys

    for result in run_service_only() if "--service" in sys.argv[1:] else run():
        print(result)
    print(notes())
