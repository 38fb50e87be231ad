"""The intake: from what an instructor downloads to one assignment folder per student.

:func:`read_batch` reads nbgrader's ``submitted/`` folder, a folder (or zip) per student, or a Moodle,
Canvas or Blackboard bulk download (:mod:`.layouts`), zips inside zips included (:mod:`.archive`), and
finds each student's assignment (:mod:`.locate`); :func:`read_student` does the same for one student's
files (Gradescope's upload). nbgrader's ``zip_collect`` reads downloads the same way (:mod:`.zip_collect`).
"""

from .batch import Batch, Submission, SubmissionsError, read_batch, read_student

__all__ = ["Batch", "Submission", "SubmissionsError", "read_batch", "read_student"]
