"""LMS downloads built the way each LMS writes them, for the intake's tests.

The names follow what each LMS's own code writes (see :mod:`autograder.intake.layouts`): Moodle's
``<Full Name>_<participant id>_assignsubmission_file_/`` folders (or its flat layout), Canvas's flat
``<sortable name>_<LATE_>?<user id>_<attachment id>_<file>``, Blackboard's
``<assignment>_<user name>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>`` with a receipt per attempt. Each
upload is bytes, usually a zip of an assignment folder made by :func:`assignment_zip`.
"""

import io
import zipfile
from datetime import datetime
from pathlib import Path

from autograder import course
from support.submissions import make_submission

#: A fixed time for zip members, so that tests choose which copy is newest.
OLD = (2024, 5, 1, 9, 0, 0)
NEW = (2024, 5, 2, 18, 30, 0)


def assignment_folder(root, name="student", base="reference", append=None, notebooks=True):
    """An assignment folder (``loss_optimization/``) of the release notebooks and a package (see make_submission)."""
    folder = make_submission(Path(root), name, base=base, append=append)
    if notebooks:
        for notebook in sorted(course.release_dir().glob("*.ipynb")):
            (folder / notebook.name).write_bytes(notebook.read_bytes())
    return folder


def zip_bytes(files, date_time=NEW):
    """A zip holding ``files`` (``{member name: bytes or str}``), every member dated ``date_time``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def folder_files(folder, prefix=""):
    """``{prefix + relative path: bytes}`` of every file under ``folder``."""
    folder = Path(folder)
    return {prefix + path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file() and "__pycache__" not in path.parts}


def assignment_zip(folder, top=course.ASSIGNMENT, date_time=NEW):
    """A student's zip of an assignment folder, with the folder at its top (``top`` = "" zips its contents)."""
    return zip_bytes(folder_files(folder, f"{top}/" if top else ""), date_time)


def write_zip(path, files, date_time=NEW):
    Path(path).write_bytes(zip_bytes(files, date_time))
    return Path(path)


def moodle_download(path, participants, folders=True):
    """A Moodle "Download all submissions" zip.

    ``participants``: ``[(full name, participant id, {file name: bytes}, online text or None)]``.
    """
    files = {}
    for name, participant, uploads, text in participants:
        prefix = f"{name.replace('_', ' ')}_{participant}_assignsubmission_"
        for file_name, data in uploads.items():
            files[f"{prefix}file_/{file_name}" if folders else f"{prefix}file_{file_name}"] = data
        if text is not None:
            files[f"{prefix}onlinetext_/onlinetext.html" if folders else f"{prefix}onlinetext_onlinetext.html"] = text
    return write_zip(path, files)


def canvas_prefix(sortable_name, user_id, late=False):
    """Canvas's prefix of a student's files: the sortable name without punctuation (None under anonymous
    grading, where the id is ``anon_<id>``), LATE, the user id."""
    name = "".join(c for c in sortable_name or "" if c.isalnum() or c == "_").lower()
    return "_".join(part for part in (name, "LATE" if late else "", str(user_id)) if part)


def canvas_download(path, students):
    """A Canvas "Download Submissions" zip: ``students`` is ``[(sortable name, user id, late, [(attachment id,
    file name, bytes)])]``; an attachment id of None is an online-text entry (``<prefix>_text.html``)."""
    files = {}
    for sortable_name, user_id, late, uploads in students:
        prefix = canvas_prefix(sortable_name, user_id, late)
        for attachment, file_name, data in uploads:
            files[f"{prefix}_text.html" if attachment is None else f"{prefix}_{attachment}_{file_name}"] = data
    return write_zip(path, files)


def blackboard_download(path, assignment, students):
    """A Blackboard "Assignment File Download" zip: ``students`` is ``[(user name, full name, [(datetime,
    {file name: bytes})])]``, each attempt with its receipt."""
    files = {}
    for user, full_name, attempts in students:
        for when, uploads in attempts:
            prefix = f"{assignment}_{user}_attempt_{when:%Y-%m-%d-%H-%M-%S}"
            listed = "".join(f"\tOriginal filename: {name}\n\tFilename: {prefix}_{name}\n" for name in uploads)
            files[f"{prefix}.txt"] = (f"Name: {full_name} ({user})\nAssignment: {assignment}\n"
                                      f"Date Submitted: {when:%A, %d %B %Y %H:%M:%S} o'clock\nCurrent Grade: Needs "
                                      "Grading\n\nSubmission Field:\nThere is no student submission text data for "
                                      "this assignment.\n\nComments:\nThere are no student comments for this "
                                      f"assignment.\n\nFiles:\n{listed}")
            for name, data in uploads.items():
                files[f"{prefix}_{name}"] = data
    return write_zip(path, files)


def attempt(*args):
    return datetime(*args)
