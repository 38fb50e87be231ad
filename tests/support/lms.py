"""LMS downloads built by each LMS's own naming rules, for the intake's tests.

Each builder transcribes the code that names the entries (cited below; the intake's reading of them is
:mod:`autograder.intake.layouts`). Each upload is bytes, usually a zip of an assignment folder made by
:func:`assignment_zip`.

- Moodle: ``mod/assign/classes/downloader.php`` (moodle/moodle at 2a6fd313547a), ``get_student_prefix()`` and
  ``load_submissionplugin_filelist()``, and its test ``mod/assign/tests/downloader_test.php`` (01148a0816a8),
  whose expected names are ``STUDENT1_STUDENT1.ID_assignsubmission_file/submissionsample01.txt`` with folders and
  the same with ``/`` replaced by ``_`` without. Moodle 3.1-4.0 (``mod/assign/locallib.php``
  ``download_submissions()``) wrote ``<prefix>_<id>_assignsubmission_file_/``.
- Canvas: ``lib/content_zipper.rb`` (instructure/canvas-lms at 05e9653c12ef), ``get_filename()``,
  ``sanitize_file_name()``, ``sanitize_user_name()``, ``add_upload_submission()``, ``add_text_or_url()`` and
  ``add_attachment_to_zip()`` (``Attachment.make_unique_filename``: a repeated name gets ``-1``).
- Blackboard Original: no public source; the convention third-party tools read (e.g. the receipts'
  ``Name: First Last (user name)`` first line and ``Original filename:`` / ``Filename:`` pairs).
"""

import io
import re
import unicodedata
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


# --- Moodle ----------------------------------------------------------------------------------------------------

#: get_string('defaultteam', 'mod_assign') in English: the team of students in no group (it has no id).
MOODLE_DEFAULT_TEAM = "Default group"


def moodle_clean_filename(name):
    """Moodle's clean_filename() (PARAM_FILE) for these names: control characters and ``/\\:*?"<>|`` removed."""
    return re.sub(r'[\x00-\x1f/\\:*?"<>|]', "", name)


def moodle_prefix(full_name, participant):
    """get_student_prefix(): ``str_replace('_', ' ', $fullname)``, then ``clean_filename($prefix . '_' . $id)``;
    for a team, the group's name and ``'_' . $group->id``, none for the default team (``participant`` None)."""
    name = full_name.replace("_", " ")
    return moodle_clean_filename(name if participant is None else f"{name}_{participant}")


def moodle_download(path, participants, folders=True, version="4.1"):
    """A Moodle "Download all submissions" zip.

    ``participants``: ``[(full name, participant id, {file name: bytes}, online text or None)]`` (for a team
    submission, the group's name and id; id None for the default team). ``folders``: the "download submissions in
    folders" preference. ``version``: "4.1" (downloader.php) or "3.1" (locallib.php, a trailing ``_``).
    """
    files = {}
    for name, participant, uploads, text in participants:
        prefix = moodle_prefix(name, participant)
        plugins = [("file", uploads), ("onlinetext", {} if text is None else {"onlinetext.html": text})]
        for plugin, plugin_files in plugins:
            # load_submissionplugin_filelist(): clean_filename($prefix . '_' . $subtype . '_' . $type), then the
            # file's path ("/" at the top) and name with folders; '_' . $zipfilename appended without.
            folder = f"{prefix}_assignsubmission_{plugin}" + ("_" if version == "3.1" else "")
            for file_name, data in plugin_files.items():
                if folders:
                    files[f"{folder}/{file_name}"] = data
                else:
                    files[moodle_clean_filename(f"{prefix}_assignsubmission_{plugin}_{file_name}")] = data
    return write_zip(path, files)


def moodle_entry(name, participant, plugin="file"):
    """The folder Moodle 4.1 names for a participant's plugin (``Ana Lopez_1001_assignsubmission_file``)."""
    return f"{moodle_prefix(name, participant)}_assignsubmission_{plugin}"


# --- Canvas ----------------------------------------------------------------------------------------------------

def _ruby_word(character):
    """Onigmo's [[:word:]]: letters, marks, decimal digits, connector punctuation."""
    category = unicodedata.category(character)
    return category[0] in "LM" or category in ("Nd", "Pc")


def canvas_user_name(sortable_name):
    """sanitize_user_name(): ``gsub!(/_(\\d+)_/, '\\1')`` then ``downcase``."""
    return re.sub(r"_(\d+)_", r"\1", sortable_name).lower()


def canvas_prefix(sortable_name, user_id, late=False, anonymous_id=None):
    """get_filename(): ``[users_name, LATE, id].compact.join("_")`` cleaned by sanitize_file_name()
    (``gsub(/[^[[:word:]]]/, "")``); under anonymous grading no name and ``anon_<anonymous id>``."""
    users_name = None if anonymous_id else canvas_user_name(sortable_name or "")
    user = f"anon_{anonymous_id}" if anonymous_id else str(user_id)
    joined = "_".join(part for part in (users_name, "LATE" if late else None, user) if part is not None)
    return "".join(c for c in joined if _ruby_word(c))


def canvas_attachment_name(display_name):
    """sanitize_attachment_filename(): ``gsub(%r{[\\x00/\\\\:*?"<>|]+}, "_")``."""
    return re.sub(r'[\x00/\\:*?"<>|]+', "_", display_name)


def canvas_download(path, students):
    """A Canvas "Download Submissions" zip.

    ``students``: ``[(sortable name, user id, late, [(attachment id, file name, bytes)])]``; an attachment id of
    "text" or "link" is an online entry (``<prefix>_text.html``, add_text_or_url()); a user id ``anon_<id>`` is
    anonymous grading. A name repeated in the zip gets ``-1``, ``-2``... (make_unique_filename).
    """
    files = {}
    for sortable_name, user_id, late, uploads in students:
        anonymous = str(user_id).removeprefix("anon_") if str(user_id).startswith("anon_") else None
        prefix = canvas_prefix(sortable_name, user_id, late, anonymous)
        for attachment, file_name, data in uploads:
            if attachment in ("text", "link"):
                name = f"{prefix}_{attachment}.html"
            else:
                name = f"{prefix}_{attachment}_{canvas_attachment_name(file_name)}"
            files[_unique(name, files)] = data
    return write_zip(path, files)


def _unique(name, taken):
    stem, dot, extension = name.rpartition(".")
    stem, extension = (stem, f".{extension}") if dot else (name, "")
    candidate, number = name, 0
    while candidate in taken:
        number += 1
        candidate = f"{stem}-{number}{extension}"
    return candidate


# --- Blackboard ------------------------------------------------------------------------------------------------

#: The receipt's labels in two interface languages (Blackboard Original translates them).
RECEIPT_LABELS = {
    "en": ("Name", "Assignment", "Date Submitted", "Files", "Original filename", "Filename"),
    "es": ("Nombre", "Actividad", "Fecha de envío", "Archivos", "Nombre del archivo original", "Nombre de archivo"),
}


def blackboard_receipt(prefix, full_name, user, assignment, when, uploads, language="en", comments=""):
    """An attempt's receipt: the name line first, the student's comments, then each file's original and stored name."""
    name, activity, date, listed, original, stored = RECEIPT_LABELS[language]
    files = "".join(f"\t{original}: {file}\n\t{stored}: {prefix}_{file}\n" for file in uploads)
    return (f"{name}: {full_name} ({user})\n{activity}: {assignment}\n{date}: {when:%Y-%m-%d %H:%M:%S}\n\n"
            f"Comments:\n{comments or 'There are no student comments for this assignment.'}\n\n{listed}:\n{files}")


def blackboard_download(path, assignment, students, language="en"):
    """A Blackboard "Assignment File Download" zip: ``students`` is ``[(user name, full name, [(datetime,
    {file name: bytes})])]``, each attempt with its receipt, or ``[(user, name, [(datetime, files, comments)])]``."""
    files = {}
    for user, full_name, attempts in students:
        for when, uploads, *comments in attempts:
            prefix = f"{assignment}_{user}_attempt_{when:%Y-%m-%d-%H-%M-%S}"
            files[f"{prefix}.txt"] = blackboard_receipt(prefix, full_name, user, assignment, when, uploads, language,
                                                        *comments)
            for name, data in uploads.items():
                files[f"{prefix}_{name}"] = data
    return write_zip(path, files)


def attempt(*args):
    return datetime(*args)


# --- For the intake's tests ------------------------------------------------------------------------------------

def intake_work(root):
    """An assignment folder with the release notebooks, its zip, and a buggy one's zip (older)."""
    good = assignment_folder(Path(root) / "good")
    buggy = assignment_folder(Path(root) / "buggy",
                              append={"losses.py": "def svm_loss_naive(W, X, y, reg):\n    return 0.0, W\n"})
    return {"good": good, "zip": assignment_zip(good), "buggy_zip": assignment_zip(buggy, date_time=OLD),
            "root": Path(root)}


def package_text(submission, module="losses.py"):
    return (submission.folder / course.PACKAGE / module).read_text()


def by_id(batch):
    return {s.student_id: s for s in batch.submissions}


def untouched(submission, good_folder):
    """Whether the graded copy's losses.py is the one of ``good_folder`` (the student's own work)."""
    return (submission.folder / course.PACKAGE / "losses.py").read_bytes() == (
        Path(good_folder) / course.PACKAGE / "losses.py").read_bytes()
