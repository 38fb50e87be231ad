"""The similarity pass (``python -m autograder similarity``) on classes of 200 and 1,000 submissions.

Each synthetic student's graded modules are the reference's with a noise line (``_n = <random> * <random>``)
after every few lines, at random: each student's code differs from every other's in places, as real
solutions do, while most of it is shared, the worst case for the comparison (many long matches). The time
is that of :func:`autograder.similarity.find_pairs` (fingerprints, every pair, evidence), per submission,
beside grading's own seconds per submission (``bench.grading``'s ``grade --jobs 2``).
"""

import random
import tempfile
import time
from pathlib import Path

from autograder import course
from autograder.outputs.code import CODE
from autograder.similarity import find_pairs

from .timing import row

SIZES = tuple(int(s) for s in __import__("os").environ.get("BENCH_SIMILARITY_SIZES", "200,1000").split(","))
#: Seconds per submission of ``grade --jobs 2`` on 10 submissions (bench/results.md, bench.grading).
GRADING_SECONDS_PER_SUBMISSION = 1.785


def _noisy(text, rng):
    lines = []
    for line in text.splitlines():
        if "### BEGIN" in line or "### END" in line:
            continue
        lines.append(line)
        stripped = line.strip()
        if stripped and not stripped.endswith((":", ",", "(", "\\\\")) and line.startswith("    ") \
                and rng.random() < 0.25 and not stripped.startswith(('"', "#", "return", "raise", "@")):
            indent = line[:len(line) - len(line.lstrip())]
            lines.append(f"{indent}_n = {rng.randrange(10 ** 6)} * {rng.randrange(10 ** 6)}")
    return "\n".join(lines) + "\n"


def make_class(root, size, seed=0):
    rng = random.Random(seed)
    sources = {relative: (course.reference_dir() / relative).read_text(encoding="utf-8")
               for relative in course.student_files()}
    for index in range(size):
        for relative, text in sources.items():
            path = Path(root) / CODE / f"s{index:04d}" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_noisy(text, rng), encoding="utf-8")


def run():
    rows = []
    for size in SIZES:
        with tempfile.TemporaryDirectory(prefix="bench-similarity-") as root:
            make_class(root, size)
            start = time.perf_counter()
            pairs, students = find_pairs(root)
            seconds = time.perf_counter() - start
        rows.append(row(f"similarity pass, {size} submissions ({size * (size - 1) // 2} pairs, {len(pairs)} "
                        "reported) / grade --jobs 2", seconds / students, "s/submission",
                        GRADING_SECONDS_PER_SUBMISSION, ("<=", 1.0)))
    return rows


if __name__ == "__main__":
    for measured in run():
        print(measured)
