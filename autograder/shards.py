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

``shard.json`` also records what determines the grades (batch seed, a
fingerprint of the course secret, ``--timeout`` and ``--import-timeout``,
digests of ``points.toml`` and of the grading code, Python and numpy versions):
``merge`` refuses shards that differ in any of them. It is written last, so a shard that did not finish has none.
"""

import csv
import hashlib
import json
import os
import platform
import re
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from . import course
from .catalogue import Verdict
from .grade import GRADES_COLUMNS, SEEDS_COLUMNS, BatchResult, GradingSetupError, Row, StudentResult, write_tables

MANIFEST = "shard.json"
#: Version of the manifest's layout; merge refuses others.
MANIFEST_FORMAT = 1
#: What grades depend on, recorded by every shard, and what to make equal when shards differ.
SETTINGS = {
    "assignment": "the assignment",
    "seed": "--seed",
    "secret": "$AUTOGRADER_SECRET (fingerprints shown, not the secret)",
    "timeout": "--timeout",
    "import_timeout": "--import-timeout",
    "points": "autograder/points.toml (digests shown)",
    "grader": "the autograder's code and the reference solution (digests shown)",
    "python": "the Python version",
    "numpy": "the numpy version",
}
_MANIFEST_KEYS = ("shard", "settings", "batch", "submitted", "sandbox", "sandbox_warning", "default_secret", "students")
_SHARD_SYNTAX = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_SHOWN = 5


class MergeError(RuntimeError):
    """The shards' outputs cannot be combined into one batch."""


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
    from .points import load_points

    return _digest([("points", json.dumps(load_points(), sort_keys=True).encode())])


def grader_digest():
    """Digest of the code that grades: the autograder package, ``points.toml`` and the reference package."""
    autograder = Path(__file__).resolve().parent
    reference = course.reference_dir() / course.PACKAGE
    files = [(f"autograder/{p.name}", p) for p in sorted(autograder.glob("*.py"))]
    files.append(("autograder/points.toml", autograder / "points.toml"))
    files += [(f"reference/{p.relative_to(reference).as_posix()}", p) for p in sorted(reference.rglob("*.py"))
              if "__pycache__" not in p.parts]
    return _digest((name, path.read_bytes()) for name, path in files)


def grading_settings(result):
    """What the grades of ``result`` depend on besides the submissions (the keys of :data:`SETTINGS`)."""
    import numpy

    return {"assignment": course.ASSIGNMENT, "seed": result.seed, "secret": result.secret_fingerprint,
            "timeout": result.timeout, "import_timeout": result.import_timeout, "points": points_digest(),
            "grader": grader_digest(), "python": platform.python_version(), "numpy": numpy.__version__}


def forget_manifest(out):
    """Remove an earlier run's ``shard.json`` from ``out``, so that an unfinished rerun cannot be merged."""
    (Path(out) / MANIFEST).unlink(missing_ok=True)


def write_manifest(result):
    """Write ``OUT/shard.json`` for a shard's ``result`` (atomically: it is either complete or absent)."""
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
        "students": {s.student_id: {"notes": s.notes, "flags": s.flags, "grader_error": s.grader_error}
                     for s in result.students},
    }
    path = result.out / MANIFEST
    partial = path.with_name(MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


# -- merging ----------------------------------------------------------------------------


@dataclass
class _Part:
    folder: Path
    manifest: dict

    @property
    def shard(self):
        return Shard(self.manifest["shard"]["index"], self.manifest["shard"]["count"])

    @property
    def label(self):
        return str(self.folder)


def merge(folders, out, gradebook="auto", stderr=None):
    """Combine the outputs of every shard of one batch into ``out``, as if the batch had been graded in one run.

    Parameters
    ----------
    folders : list of path
        The ``--out`` folders of ``grade --shard 0/N`` ... ``grade --shard N-1/N``, in any order.
    out : path
        Where to write ``grades.csv``, ``seeds.csv``, the student folders, ``.logs/`` and ``summary.html``.
    gradebook : str or None
        nbgrader gradebook URL to write the scores into; ``"auto"``: the gradebook of the course whose
        ``submitted/`` folder the shards graded, if it has one (see
        :func:`autograder.gradebook.default_gradebook_url`); None or ``"none"``: do not write.

    Returns
    -------
    BatchResult

    Raises
    ------
    MergeError
        When the folders are not all the shards of one batch graded the same way; nothing is written then.
    """
    stderr = stderr or sys.stderr
    if not folders:
        raise MergeError("No shard folders given: pass the --out folders of every `grade --shard I/N` run.")
    out = Path(out).resolve()
    parts = [_load(Path(folder)) for folder in folders]
    _check_out(out, parts)
    _check_complete(parts)
    _check_settings(parts)
    _check_batch(parts)
    students = _read_students(parts)
    first = parts[0].manifest
    settings = first["settings"]
    sandbox, warning = _sandboxes(parts)
    result = BatchResult(students, out, sandbox, warning, settings["seed"], first["default_secret"],
                         timeout=settings["timeout"], import_timeout=settings["import_timeout"],
                         secret_fingerprint=settings["secret"],
                         batch_students=tuple(first["batch"]), submitted=Path(first["submitted"]))
    result.shard_note = (f"Merged from {len(parts)} shards of a batch of {len(first['batch'])} submissions "
                         "(python -m autograder merge).")
    if gradebook == "auto":
        from .gradebook import GradebookConfigError, default_gradebook_url

        try:
            gradebook = default_gradebook_url(result.submitted)
        except GradebookConfigError as error:
            raise MergeError(str(error)) from None
    if gradebook and gradebook != "none":
        from .gradebook import record_in_gradebook

        record_in_gradebook(gradebook, result, stderr)
    _write(result, parts)
    return result


def _load(folder):
    if not folder.is_dir():
        raise MergeError(f"{folder} is not a folder: give the --out folder of every `grade --shard I/N` run.")
    path = folder / MANIFEST
    if not path.is_file():
        raise MergeError(f"{folder} has no {MANIFEST}: it is not the finished output of `python -m autograder grade "
                         "--shard I/N` (a shard that did not finish writes none). Grade that shard again.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MergeError(f"{path} cannot be read ({error}): grade that shard again.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise MergeError(f"{path} was written by another version of the autograder (format "
                         f"{manifest.get('format') if isinstance(manifest, dict) else '?'}, this one reads "
                         f"{MANIFEST_FORMAT}): grade every shard with the same version.")
    missing = [key for key in _MANIFEST_KEYS if key not in manifest]
    if missing:
        raise MergeError(f"{path} lacks {', '.join(missing)}: it was changed after grading. Grade that shard again.")
    return _Part(folder.resolve(), manifest)


def _check_out(out, parts):
    for part in parts:
        if out == part.folder or part.folder in out.parents:
            raise MergeError(f"--out {out} is inside the shard folder {part.folder}: choose a folder of its own.")
    submitted = Path(parts[0].manifest["submitted"])
    if out == submitted or submitted in out.parents:
        raise MergeError(f"--out {out} is inside the graded submissions {submitted}: nothing under them may be "
                         "written; choose an output folder elsewhere.")


def _check_complete(parts):
    """Every shard 0..N-1 of one N-way split, each once."""
    counts = defaultdict(list)
    for part in parts:
        counts[part.shard.count].append(part)
    if len(counts) > 1:
        splits = "; ".join(f"{', '.join(p.label for p in group)} split it into {count}"
                           for count, group in sorted(counts.items()))
        raise MergeError(f"The folders come from different splits of the batch ({splits}): merge the outputs of "
                         "one split, graded with the same N in --shard I/N.")
    count = parts[0].shard.count
    by_index = defaultdict(list)
    for part in parts:
        by_index[part.shard.index].append(part)
    twice = {index: group for index, group in by_index.items() if len(group) > 1}
    if twice:
        index, group = min(twice.items())
        raise MergeError(f"Shard {index}/{count} is given more than once ({', '.join(p.label for p in group)}): "
                         "each shard must be merged exactly once.")
    missing = [index for index in range(count) if index not in by_index]
    if missing:
        got = ", ".join(f"{p.shard} ({p.label})" for p in sorted(parts, key=lambda p: p.shard.index))
        listed = ", ".join(f"{index}/{count}" for index in missing)
        raise MergeError(f"Shard{'s' if len(missing) > 1 else ''} {listed} missing: merge needs all {count} shards of "
                         f"the batch and got {got}. Grade the missing shard{'s' if len(missing) > 1 else ''} "
                         f"(--shard {missing[0]}/{count}{' ...' if len(missing) > 1 else ''}; a shard that did not "
                         "finish has no shard.json), then merge again.")


def _check_settings(parts):
    problems = []
    for key, what in SETTINGS.items():
        values = defaultdict(list)
        for part in parts:
            value = part.manifest["settings"].get(key)
            values[value if isinstance(value, str) else json.dumps(value)].append(part.label)
        if len(values) > 1:
            shown = "; ".join(f"{value} in {', '.join(labels)}" for value, labels in values.items())
            problems.append(f"{key} ({what}): {shown}")
    if problems:
        raise MergeError("The shards were graded differently, so their grades cannot be combined:\n  "
                         + "\n  ".join(problems)
                         + "\nGrade every shard again with the same settings and code.")


def _check_batch(parts):
    reference = parts[0]
    batch = reference.manifest["batch"]
    for part in parts[1:]:
        other = part.manifest["batch"]
        if other != batch:
            only_first = sorted(set(batch) - set(other))
            only_other = sorted(set(other) - set(batch))
            raise MergeError(
                f"The shards saw different batches, so some students would be graded twice or not at all: "
                f"{reference.label} saw {len(batch)} submissions, {part.label} saw {len(other)} "
                f"(only in the first: {_some(only_first)}; only in the second: {_some(only_other)}). Did SUBMITTED "
                "change while the shards ran? Grade every shard again from the same SUBMITTED.")
    owner = {}
    for part in parts:
        for student in part.manifest["students"]:
            if student in owner:
                raise MergeError(f"Student {student} was graded by two shards, {owner[student].label} and "
                                 f"{part.label}: each student must be in exactly one shard.")
            owner[student] = part
    ungraded = [student for student in batch if student not in owner]
    extra = [student for student in owner if student not in set(batch)]
    if ungraded or extra:
        raise MergeError(f"The shards do not cover their batch exactly (graded by no shard: {_some(ungraded)}; "
                         f"graded but not in the batch: {_some(extra)}): grade every shard again.")


def _some(ids):
    if not ids:
        return "none"
    shown = ", ".join(ids[:_SHOWN])
    return shown + (f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else "")


def _read_students(parts):
    """Every student's rows (from grades.csv), seed (seeds.csv) and notes (shard.json), sorted by student id."""
    students = []
    for part in parts:
        expected = part.manifest["students"]
        rows, seeds = _read_csv(part, "grades.csv", GRADES_COLUMNS), _read_csv(part, "seeds.csv", SEEDS_COLUMNS)
        rows_of = defaultdict(list)
        try:
            seed_of = {row["student_id"]: int(row["seed"]) for row in seeds}
            for row in rows:
                verdict = Verdict(row["test"], course.group_of(row["test"]), False, "", row["status"], row["message"])
                rows_of[row["student_id"]].append(Row(verdict, float(row["score"]), float(row["max_score"])))
        except (TypeError, ValueError) as error:
            raise MergeError(f"{part.folder}: grades.csv or seeds.csv has a malformed row ({error}): the folder "
                             "changed after grading. Grade that shard again.") from None
        if set(rows_of) != set(expected) or set(seed_of) != set(expected):
            raise MergeError(f"{part.folder}/grades.csv or seeds.csv does not list the students its {MANIFEST} "
                             "names: the folder changed after grading. Grade that shard again.")
        for student_id, info in expected.items():
            missing = [name for name in ("results.json", "feedback.html")
                       if not (part.folder / student_id / name).is_file()]
            if missing:
                raise MergeError(f"{part.folder / student_id} has no {' or '.join(missing)}: the folder changed "
                                 "after grading. Grade that shard again.")
            students.append(StudentResult(student_id, seed_of[student_id], rows_of[student_id],
                                          list(info["notes"]), flags=list(info["flags"]),
                                          grader_error=info["grader_error"]))
    students.sort(key=lambda student: student.student_id)
    return students


def _read_csv(part, name, columns):
    path = part.folder / name
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
    except OSError as error:
        raise MergeError(f"{path} cannot be read ({error.strerror or error}): grade that shard again.") from None
    if tuple(reader.fieldnames or ()) != columns:
        raise MergeError(f"{path} does not have the columns {','.join(columns)}: grade that shard again.")
    return rows


def _sandboxes(parts):
    """The summary's sandbox line and warning: one when every shard agrees, else per shard."""
    modes, warnings = defaultdict(list), defaultdict(list)
    for part in parts:
        modes[part.manifest["sandbox"]].append(str(part.shard))
        if part.manifest["sandbox_warning"]:
            warnings[part.manifest["sandbox_warning"]].append(str(part.shard))
    if len(modes) == 1:
        sandbox = next(iter(modes))
    else:
        sandbox = "; ".join(f"{mode} in shards {', '.join(shards)}" for mode, shards in modes.items())
    shown = []
    for warning, shards in warnings.items():
        shown.append(warning if len(shards) == len(parts) else f"Shards {', '.join(shards)}: {warning}")
    return sandbox, " ".join(shown)


def _write(result, parts):
    """Copy the student folders and logs, and write the combined tables and summary."""
    from .summary import write_summary

    out = result.out
    (out / ".logs").mkdir(parents=True, exist_ok=True)
    for part in parts:
        for student_id in part.manifest["students"]:
            shutil.copytree(part.folder / student_id, out / student_id, dirs_exist_ok=True)
            log = part.folder / ".logs" / f"{student_id}.txt"
            if log.is_file():
                shutil.copyfile(log, out / ".logs" / log.name)
    write_tables(result)
    write_summary(result, out / "summary.html")
