"""What grading produces: each student's rows, the batch around them, and their lossless record.

``grade`` builds these; the output writers (:mod:`autograder.outputs`) render them; a shard writes them
as records (``results.jsonl``, one JSON object per student) that ``merge`` reads back unchanged, so that
every output of a merged batch is the same as one ``grade`` run's.
"""

import base64
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from .calls import wire
from .catalogue import Verdict

#: The file a shard writes its students' records to.
RECORDS = "results.jsonl"


@dataclass
class Row:
    """One test of one student: a row of grades.csv."""

    verdict: Verdict
    score: float
    max_score: float

    @property
    def name(self):
        return self.verdict.name


@dataclass
class StudentResult:
    """Everything graded for one student."""

    student_id: str
    seed: int
    rows: list
    notes: list = field(default_factory=list)
    output: bytes = b""
    output_dropped: int = 0
    grader_error: str = ""
    flags: list = field(default_factory=list)
    #: Digest of the graded files (part of the seed: see :mod:`autograder.seeds`).
    digest: str = ""
    #: What a limit on the submission's cost cut short, in words ("" when nothing was).
    cut: str = ""
    #: The student's name (from the roster or the LMS download) and id in the LMS, "" when unknown.
    name: str = ""
    lms_id: str = ""
    #: Points of the written answers, graded by hand in nbgrader (None until all of them are graded).
    written: float = None
    #: The graded modules as the student wrote them, ``{"linear_classifier/losses.py": text}`` (kept for the
    #: feedback's line numbers and for ``python -m autograder similarity``; written to ``OUT/.code/``).
    sources: dict = field(default_factory=dict)
    #: Percentage of the points earned taken off by the course's late policy (:mod:`autograder.grading.late`);
    #: ``score`` stays the raw code score, the total applies this (:mod:`autograder.outputs.totals`).
    late_percent: float = 0.0

    @property
    def score(self):
        return sum(row.score for row in self.rows)

    @property
    def max_score(self):
        return sum(row.max_score for row in self.rows)


@dataclass
class BatchResult:
    """A graded batch (or one shard of it) and how it was graded."""

    students: list
    out: Path
    sandbox: str
    sandbox_warning: str
    seed: int
    default_secret: bool
    #: The limits of every submission's sandbox, whole (``dataclasses.asdict`` of ``autograder.sandbox.Limits``:
    #: plain data, for the shard's record); empty for a result built by hand.
    limits: dict = field(default_factory=dict)
    gradebook_note: str = ""
    #: Identifies the course secret without revealing it (:func:`autograder.seeds.secret_fingerprint`).
    secret_fingerprint: str = ""
    #: The part of the batch graded (:class:`autograder.grading.shard.Shard`), None for a whole batch.
    shard: object = None
    #: Every student id of the batch, sorted, including those of other shards.
    batch_students: tuple = ()
    #: The SUBMITTED argument (where merge looks for the course's gradebook).
    submitted: Path = None
    #: For the summary: which part of a batch this is, or which parts were merged.
    shard_note: str = ""
    #: Seconds spent in each phase of the run (``{"prepare": ..., "grade": ..., "outputs": ...}``).
    timings: dict = field(default_factory=dict)
    #: What the instructor should know about the batch as it was read (entries of no student, ids not in the roster).
    intake_notes: list = field(default_factory=list)

    @property
    def grader_errors(self):
        return [s for s in self.students if s.grader_error]


def to_record(student):
    """A student's result as plain JSON-ready data, nothing lost (details' arrays included)."""
    rows = []
    for row in student.rows:
        verdict = {f.name: getattr(row.verdict, f.name) for f in dataclasses.fields(row.verdict)}
        verdict["details"] = wire.encode(verdict["details"]) if verdict["details"] is not None else None
        rows.append({"verdict": verdict, "score": row.score, "max_score": row.max_score})
    return {"student_id": student.student_id, "seed": student.seed, "digest": student.digest, "rows": rows,
            "notes": list(student.notes), "flags": list(student.flags), "grader_error": student.grader_error,
            "output": base64.b64encode(student.output).decode("ascii"), "output_dropped": student.output_dropped,
            "cut": student.cut, "name": student.name, "lms_id": student.lms_id, "written": student.written,
            "sources": dict(student.sources), "late_percent": student.late_percent}


def from_record(record):
    """The StudentResult :func:`to_record` wrote."""
    rows = []
    for row in record["rows"]:
        verdict = dict(row["verdict"])
        verdict["details"] = wire.decode(verdict["details"]) if verdict["details"] is not None else None
        rows.append(Row(Verdict(**verdict), float(row["score"]), float(row["max_score"])))
    written = record.get("written")
    return StudentResult(record["student_id"], int(record["seed"]), rows, list(record["notes"]),
                         base64.b64decode(record["output"]), int(record["output_dropped"]),
                         record["grader_error"], list(record["flags"]), record["digest"], record["cut"],
                         str(record.get("name", "")), str(record.get("lms_id", "")),
                         None if written is None else float(written),
                         {str(path): str(text) for path, text in (record.get("sources") or {}).items()},
                         float(record.get("late_percent", 0.0)))


def write_records(students, path):
    """Write the students' records, one JSON line each."""
    with open(path, "w", encoding="utf-8") as handle:
        for student in students:
            handle.write(json.dumps(to_record(student), ensure_ascii=False, allow_nan=True) + "\n")


def read_records(path):
    """The StudentResults of a records file (ValueError, KeyError or TypeError if it is malformed)."""
    with open(path, encoding="utf-8") as handle:
        return [from_record(json.loads(line)) for line in handle if line.strip()]
