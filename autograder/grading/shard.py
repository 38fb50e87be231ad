"""Grade a batch in parts on a cluster, then combine the parts: ``grade --shard I/N`` and ``merge``.

Partition: the batch's student ids are sorted (Python's string order, the same on
every machine whatever its locale) and the k-th of them (counting from 0) goes to
shard k mod N. Every shard reads the same SUBMITTED, so every shard computes the
same list. Round-robin keeps the shards' sizes within one of each other, and the
slowest shard sets the wall time of the whole array; with a hash of the student
id, the largest of 10 shards of 200 students typically holds 27 instead of 20. The
price is that the partition depends on the whole batch: a submission added while
the shards run would move other students between shards. So each shard records
the ids of the whole batch in ``OUT/shard.json``, and ``merge`` refuses shards
that saw different batches.

Shards are numbered from 0, like ``SLURM_ARRAY_TASK_ID`` with ``--array=0-9``
and Kubernetes' ``JOB_COMPLETION_INDEX``.

Besides the usual outputs of its students, a shard writes ``results.jsonl``, their results in full
(:mod:`autograder.results`), which ``merge`` reads back, and ``shard.json``, what determines the grades
(batch seed, a fingerprint of the course secret, every limit of the sandbox (``--timeout``, ``--memory-mb``...),
digests of ``points.toml`` and of the grading code, Python and numpy versions): ``merge`` refuses shards that
differ in any of them. ``shard.json`` is written last, so a shard that did not finish has none.
"""

import hashlib
import json
import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path

from .. import course
from ..results import RECORDS, write_records
from .options import GradingSetupError

MANIFEST = "shard.json"
#: Version of the manifest's layout; merge refuses others. 3: the sandbox's limits recorded whole (format 2 held
#: only its time limits, so a shard graded under another memory limit could not be told apart: regrade it).
MANIFEST_FORMAT = 3
#: What grades depend on, recorded by every shard, and what to make equal when shards differ.
SETTINGS = {
    "assignment": "the assignment",
    "seed": "--seed",
    "secret": "$AUTOGRADER_SECRET (fingerprints shown, not the secret)",
    "limits": "a limit of the sandbox: grade's option of that name, e.g. --memory-mb, or where it has none the "
              "default of autograder.sandbox.Limits",
    "points": "autograder/points.toml (digests shown)",
    "grader": "the autograder's code and the reference solution (digests shown)",
    "python": "the Python version",
    "numpy": "the numpy version",
}
_SHARD_SYNTAX = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """The ``index``-th (from 0) of ``count`` parts of a batch."""

    index: int
    count: int

    def __post_init__(self):
        if self.count < 1:
            raise GradingSetupError(f"--shard {self}: the number of shards must be at least 1.")
        if not 0 <= self.index < self.count:
            raise GradingSetupError(
                f"--shard {self}: shards are numbered from 0 to {self.count - 1}, so {self.index} is out of range "
                f"(like SLURM_ARRAY_TASK_ID with --array=0-{self.count - 1}, or Kubernetes' JOB_COMPLETION_INDEX).")

    @classmethod
    def parse(cls, text):
        """A shard from ``"I/N"``, or GradingSetupError saying what is wrong."""
        match = _SHARD_SYNTAX.match(text or "")
        if not match:
            raise GradingSetupError(
                f"--shard must be INDEX/COUNT with whole numbers, e.g. --shard 0/10 for the first of 10 shards; got "
                f"{text!r}. An empty part is an unset variable: in a Slurm job array use --shard "
                "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT, in a Kubernetes Indexed Job --shard "
                "$JOB_COMPLETION_INDEX/<completions>.")
        return cls(int(match[1]), int(match[2]))

    def select(self, batch):
        """This shard's part of ``batch`` (a list sorted by student id): the k-th items with k mod count == index."""
        return batch[self.index::self.count]

    def __str__(self):
        return f"{self.index}/{self.count}"


# -- what a shard records ---------------------------------------------------------------


def _digest(parts):
    digest = hashlib.sha256()
    for name, data in parts:
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:16]


def points_digest():
    """Digest of the points of every test, as grading reads them from ``points.toml``."""
    from ..points import load_points

    return _digest([("points", json.dumps(load_points(), sort_keys=True).encode())])


def grader_digest():
    """Digest of the code that grades: the autograder package (its templates too) and the reference package."""
    autograder = Path(__file__).resolve().parent.parent
    reference = course.reference_dir() / course.PACKAGE
    files = [(f"autograder/{p.relative_to(autograder).as_posix()}", p) for p in sorted(autograder.rglob("*"))
             if p.is_file() and p.suffix in (".py", ".toml", ".html", ".css") and "__pycache__" not in p.parts]
    files += [(f"reference/{p.relative_to(reference).as_posix()}", p) for p in sorted(reference.rglob("*.py"))
              if "__pycache__" not in p.parts]
    return _digest((name, path.read_bytes()) for name, path in files)


def grading_settings(result):
    """What the grades of ``result`` depend on besides the submissions (the keys of :data:`SETTINGS`)."""
    import numpy

    return {"assignment": course.ASSIGNMENT, "seed": result.seed, "secret": result.secret_fingerprint,
            "limits": result.limits, "points": points_digest(),
            "grader": grader_digest(), "python": platform.python_version(), "numpy": numpy.__version__}


def forget_manifest(out):
    """Remove an earlier run's ``shard.json`` from ``out``, so that an unfinished rerun cannot be merged."""
    (Path(out) / MANIFEST).unlink(missing_ok=True)


def write_shard(result, folder=None):
    """Write a shard's ``results.jsonl``, then ``shard.json`` (atomically: it is either complete or absent), into
    ``folder`` (default: ``result.out``)."""
    folder = Path(folder if folder is not None else result.out)
    write_records(result.students, folder / RECORDS)
    manifest = {
        "format": MANIFEST_FORMAT,
        "shard": {"index": result.shard.index, "count": result.shard.count},
        "partition": "sorted student ids; the k-th (from 0) is in shard k mod count",
        "settings": grading_settings(result),
        "batch": list(result.batch_students),
        "submitted": str(result.submitted),
        "sandbox": result.sandbox,
        "sandbox_warning": result.sandbox_warning,
        "default_secret": result.default_secret,
        "students": [s.student_id for s in result.students],
        "intake_notes": list(result.intake_notes),
    }
    path = folder / MANIFEST
    partial = path.with_name(MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)
