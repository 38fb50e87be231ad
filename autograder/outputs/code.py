"""``OUT/.code/<student_id>/linear_classifier/<module>.py``: the graded modules as each student wrote them.

For the instructor only (like ``.logs/``): ``python -m autograder similarity OUT`` compares them, and an
instructor reading a diagnosis can open the very code that was graded, even after the submissions folder
has moved on. They come from the students' records, so a merged batch has them too.
"""

from pathlib import PurePosixPath

CODE = ".code"


def write(result, out):
    for student in result.students:
        for relative, text in student.sources.items():
            parts = PurePosixPath(relative).parts
            if ".." in parts or PurePosixPath(relative).is_absolute():
                continue  # a record edited by hand: never write outside the folder
            path = out / CODE / student.student_id / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
