"""``OUT/.code/<student_id>/``: the graded modules as each student wrote them, and their failed tests.

For the instructor only (like ``.logs/``): ``python -m autograder similarity OUT`` compares them, and an
instructor reading a diagnosis can open the very code that was graded, even after the submissions folder
has moved on. ``failures.json`` lists the student's failed tests with the mistakes they name and a digest
of the wrong value a visible test returned (evidence of copying: students' inputs differ). Everything
comes from the students' records, so a merged batch has it too.
"""

import hashlib
import json
from pathlib import PurePosixPath

import numpy as np

CODE = ".code"
FAILURES = "failures.json"


def value_digest(value):
    """A digest of a returned value (arrays rounded to 10 decimals, so that equal results compare equal)."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        data = repr(value.shape).encode() + np.round(value.astype(np.float64), 10).tobytes()
    elif isinstance(value, (list, tuple)) and all(isinstance(item, np.ndarray) for item in value):
        data = b"".join(value_digest(item).encode() for item in value)
    else:
        data = repr(round(value, 10) if isinstance(value, float) else value).encode()
    return hashlib.sha256(data).hexdigest()[:24]


def failures(student):
    """The student's failed tests: name, status, the mistakes named and the digest of the wrong value."""
    listed = []
    for row in student.rows:
        verdict = row.verdict
        if not verdict.passed:
            got = (verdict.details or {}).get("got")
            try:
                digest = value_digest(got)
            except (TypeError, ValueError):
                digest = None
            listed.append({"test": verdict.name, "status": verdict.status, "mistakes": list(verdict.mistakes),
                           "got": digest})
    return listed


def write(result, out):
    for student in result.students:
        folder = out / CODE / student.student_id
        for relative, text in student.sources.items():
            parts = PurePosixPath(relative).parts
            if ".." in parts or PurePosixPath(relative).is_absolute():
                continue  # a record edited by hand: never write outside the folder
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / FAILURES).write_text(json.dumps(failures(student), indent=1) + "\n", encoding="utf-8")
