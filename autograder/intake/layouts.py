"""How each LMS names the files of its bulk download, and whose each entry is.

The one place for these conventions: the grader's intake and nbgrader's ``zip_collect`` (through
:mod:`autograder.intake.zip_collect`) both read downloads with them. Each was read from the LMS's own
code (the names below are what it writes):

- **Moodle**, "Download all submissions" (``mod/assign``): one folder per participant and plugin,
  ``<Full Name>_<participant id>_assignsubmission_file_/`` holding the uploads with their own names
  (``..._assignsubmission_onlinetext_/onlinetext.html`` for online text). With "download submissions in
  folders" off (and before Moodle 3.1) the files are flat: ``<Full Name>_<id>_assignsubmission_file_<file>``.
  Underscores in names become spaces; with blind marking the name is "Participant". The participant id
  is the assignment's own id of the student (the ``Identifier`` of Moodle's grading worksheet).
- **Canvas**, "Download Submissions" (``ContentZipper``): flat files
  ``<sortable name>_<LATE_>?<user id>_<attachment id>_<file>``, the name lowercased without
  punctuation (``jonesbob``), ``LATE_`` for a late submission, ``anon_<id>`` instead of name and user id
  under anonymous grading; online text and URLs as ``<prefix>_text.html`` and ``<prefix>_link.html``.
  Canvas renames a student's file uploaded twice under one name (``loss_optimization-1.zip``).
- **Blackboard**, "Assignment File Download": flat files
  ``<assignment>_<user name>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>`` and, per attempt, a receipt
  ``<assignment>_<user name>_attempt_<date>.txt`` that names the student
  (``Name: First Last (user name)``) and maps each file to its original name.
- **A folder per student** (nbgrader's ``submitted/``, or any ``<student id>/`` or ``<student id>.zip``).

The student id is the LMS's own: the Moodle participant id, the Canvas user id, the Blackboard user name,
or the folder's name (a roster maps them to the course's ids: :mod:`autograder.lms.roster`).
"""

import re
from dataclasses import dataclass
from datetime import datetime

from .archive import is_zip

MOODLE, CANVAS, BLACKBOARD, FOLDER = "moodle", "canvas", "blackboard", "folder"
#: Moodle's folder per participant and plugin (the default layout since Moodle 3.1).
MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_$")
#: Moodle's flat layout ("download submissions in folders" off).
MOODLE_FILE = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)$")
#: Moodle's name for a participant under blind marking.
MOODLE_ANONYMOUS = "Participant"
CANVAS_FILE = re.compile(r"^(?:(?P<name>(?!LATE_|anon_)\w*?)_)?(?:(?P<late>LATE)_)?(?P<id>anon_[A-Za-z0-9]+|\d+)_"
                         r"(?:(?P<attachment>\d+)_(?P<file>.+)|(?P<kind>text|link)\.html)$")
BLACKBOARD_FILE = re.compile(r"^(?P<assignment>.+)_(?P<id>[^_]+)_attempt_(?P<time>\d{4}(?:-\d\d){5})"
                             r"(?:_(?P<file>.+)|(?P<receipt>\.txt))$")
BLACKBOARD_TIME = "%Y-%m-%d-%H-%M-%S"
#: A Blackboard receipt's lines that name the student and map each file to the name it was uploaded under.
_RECEIPT_NAME = re.compile(r"^Name:\s*(?P<name>.*?)\s*\((?P<id>[^()]+)\)\s*$", re.MULTILINE)
_RECEIPT_FILES = re.compile(r"^\s*Original filename:\s*(?P<original>.+?)\s*\n\s*Filename:\s*(?P<stored>.+?)\s*$",
                            re.MULTILINE)


@dataclass(frozen=True)
class Owner:
    """Whose a top-level entry of a download is, and what it is."""

    #: Which convention named it: :data:`MOODLE`, :data:`CANVAS`, :data:`BLACKBOARD` or :data:`FOLDER`.
    lms: str
    #: The student's id in that LMS.
    lms_id: str
    #: The student's name as the entry gives it ("" when it does not).
    name: str = ""
    #: The name the student gave the file ("" when the entry is a folder of the student's files).
    file_name: str = ""
    #: For Blackboard, the attempt the entry belongs to (its time; None otherwise).
    attempt: datetime = None
    #: A receipt or an online-text page rather than an upload (kept in the listing of what was found).
    not_upload: bool = False


def classify(name, is_dir):
    """The :class:`Owner` of a top-level entry called ``name``, or None when no convention names it.

    A folder named like a zip (``x.zip/``) is a zip that was unpacked: it is named like the file it was.
    """
    file_like = not is_dir or is_zip(name)
    if is_dir and (match := MOODLE_FOLDER.match(name)):
        return Owner(MOODLE, match["id"], _moodle_name(match["name"]), not_upload=match["plugin"] != "file")
    if file_like and (match := MOODLE_FILE.match(name)):
        return Owner(MOODLE, match["id"], _moodle_name(match["name"]), match["file"],
                     not_upload=match["plugin"] != "file")
    if file_like and (match := BLACKBOARD_FILE.match(name)):
        attempt = datetime.strptime(match["time"], BLACKBOARD_TIME)
        if match["receipt"]:
            return Owner(BLACKBOARD, match["id"], attempt=attempt, not_upload=True)
        return Owner(BLACKBOARD, match["id"], file_name=match["file"], attempt=attempt)
    if file_like and (match := CANVAS_FILE.match(name)):
        if match["kind"]:
            return Owner(CANVAS, match["id"], match["name"] or "", f"{match['kind']}.html", not_upload=True)
        return Owner(CANVAS, match["id"], match["name"] or "", match["file"])
    if is_dir:
        return Owner(FOLDER, name[:-len(".zip")] if is_zip(name) else name)
    if is_zip(name):
        return Owner(FOLDER, name[:-len(".zip")], file_name=name)
    return None


def is_lms_entry(name, is_dir):
    """Whether an LMS's convention (not a plain folder per student) names this entry."""
    owner = classify(name, is_dir)
    return owner is not None and owner.lms != FOLDER


def _moodle_name(name):
    return "" if name == MOODLE_ANONYMOUS else name


def read_receipt(text):
    """A Blackboard receipt's student name and user name, and ``{stored file name: original name}``."""
    match = _RECEIPT_NAME.search(text)
    name, user = (match["name"], match["id"].strip()) if match else ("", "")
    originals = {m["stored"]: m["original"] for m in _RECEIPT_FILES.finditer(text)}
    return name, user, originals
