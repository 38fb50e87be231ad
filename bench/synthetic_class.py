"""A synthetic class for the grading benchmark: a throwaway nbgrader course and submissions made from the release.

The course is a temporary copy of this one (``nbgrader_config.py``, ``solutions/``, ``data/``) whose release
and gradebook are built there by ``python -m autograder release --course-root``, so ``nbgrader autograde`` and
``python -m autograder grade`` see the same assignment. Submissions are made by the corpus builder of the
autograder's tests (``tests/corpus/build.py``) from its own cases, renamed one per student, in a fixed mix
that repeats every ten students:

- 4 correct: the reference as handed in, then the corpus's other correct formulations in turn;
- 3 buggy: the corpus's plausible bugs in turn;
- 1 stub: the release handed in untouched;
- 2 faulty: an import-time endless loop (capped by the timeout), and a 4 GB memory hog or a syntax error in
  turn; so every whole decade costs the same time limit once, and a class of 10 has both costly faults.

Every student hands in the released notebooks (hidden test cells are restored by nbgrader from its
gradebook), so nbgrader executes only what the release contains: completed notebooks would only make
its runs longer.
"""

import dataclasses
import importlib.util
import shutil
import subprocess
from pathlib import Path

from autograder import course

REPO = course.COURSE_ROOT
PYTHON = REPO / ".venv" / "bin" / "python"
CORPUS_BUILDER = REPO / "tests" / "corpus" / "build.py"
#: One decade of the class: which kind of submission each student of ten hands in.
PATTERN = ("correct", "bug", "correct", "fault", "bug", "correct", "stub", "bug", "correct", "fault")
CORRECT_FIRST = "reference_unchanged"
STUB_CASE = "unimplemented_release"
FAULT_CASES = ("memory_hog_at_import", "import_time_busy_loop", "syntax_error_in_losses", "import_time_busy_loop")


def corpus_builder():
    """``tests/corpus/build.py`` as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("corpus_build", CORPUS_BUILDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def class_cases(size, builder=None):
    """The corpus cases of a class of ``size`` students, each renamed ``sNNN_<case id>``; and each one's kind."""
    builder = builder or corpus_builder()
    cases = {case.id: case for case in builder.load_cases(builder.CORPUS_DIR)}
    pools = {
        "correct": [cases[CORRECT_FIRST]] + [c for c in cases.values()
                                             if c.kind == "alternative" and c.id != CORRECT_FIRST],
        "bug": [c for c in cases.values() if c.kind == "bug"],
        "stub": [cases[STUB_CASE]],
        "fault": [cases[name] for name in FAULT_CASES],
    }
    used = dict.fromkeys(pools, 0)
    students = []
    for index in range(size):
        kind = PATTERN[index % len(PATTERN)]
        pool = pools[kind]
        case = pool[used[kind] % len(pool)]
        used[kind] += 1
        students.append((dataclasses.replace(case, id=f"s{index:03d}_{case.id}"), kind))
    return students


def make_course(root):
    """A fresh nbgrader course_root in ``root`` with the release generated and the assignment in its gradebook."""
    root = Path(root)
    root.mkdir(parents=True)
    shutil.copyfile(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
    shutil.copytree(REPO / course.SOURCE_DIR, root / course.SOURCE_DIR, ignore=ignore)
    shutil.copytree(REPO / "data", root / "data", ignore=ignore)
    completed = subprocess.run([str(PYTHON), "-m", "autograder", "release", "--course-root", str(root)],
                               cwd=root, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"python -m autograder release --course-root {root} failed:\n{completed.stderr[-3000:]}")
    return root


def populate(course_root, size, builder=None):
    """Write a class of ``size`` submissions into ``course_root/submitted/``; return {student id: kind}."""
    builder = builder or corpus_builder()
    students = class_cases(size, builder)
    builder.build_submissions([case for case, _ in students], course_root / "submitted", course_root / "graded", "bench",
                              release_copy=course.release_dir(course_root))
    return {case.id: kind for case, kind in students}
