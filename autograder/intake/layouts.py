"""How each LMS names the files of its bulk download, and which part of each name the LMS writes.

The one place for these conventions: the grader's intake and nbgrader's ``zip_collect`` (through
:mod:`autograder.intake.zip_collect`) both read downloads with them. An identity is read only from the part of a
name the LMS writes (its *prefix*); what follows it is the name the student gave the file, which may hold anything,
another student's prefix included, and is never parsed for an identity. Each prefix was read from the LMS's code:

- **Moodle**, "Download all submissions" (``mod/assign/classes/downloader.php``, ``get_student_prefix()`` and
  ``load_submissionplugin_filelist()``): ``<Full Name>_<participant id>_assignsubmission_file/`` holding the
  student's files as they uploaded them (Moodle 4.1 on, and its test ``downloader_test.php``); Moodle 3.1 to 4.0
  wrote ``..._assignsubmission_file_/``; with "download submissions in folders" off (and before 3.1) the files are
  flat, ``<Full Name>_<id>_assignsubmission_file_<file>``. Online text is ``..._assignsubmission_onlinetext/
  onlinetext.html``. Moodle replaces every ``_`` of the name by a space, so the prefix ends at the name's first
  ``_``. Blind marking names everyone "Participant"; team submissions name the group, ``<group name>_<group id>``,
  and the default team (students in no group) ``Default group`` with no id at all.
- **Canvas**, "Download Submissions" (``lib/content_zipper.rb``, ``get_filename()``, ``add_upload_submission()``,
  ``add_text_or_url()``): ``<name>_<LATE_>?<user id>_<attachment id>_<file>``, the name the user's sortable name
  lowercased with everything but ``[[:word:]]`` removed (Unicode letters, marks, digits, ``_``) and no ``_<digits>_``
  left in it; ``<prefix>_text.html`` and ``<prefix>_link.html`` for online text and URLs; under anonymous grading
  ``<LATE_>?anon_<anonymous id>`` without a name. A group assignment's files are under one member's user id.
- **Blackboard Original**, "Assignment File Download" (no public source; the convention as third-party tools read
  it): ``<assignment>_<user name>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>`` and, per attempt, a receipt
  ``<assignment>_<user name>_attempt_<date>.txt`` whose first line names the student (``Name: First Last (user
  name)`` in English) and which maps each stored file to its original name. User names may hold ``_``: where the
  assignment's name ends is read from the receipts, else from what the download's entries share.
- **A folder per student** (nbgrader's ``submitted/``, or any ``<student id>/`` or ``<student id>.zip``).

The student id is the LMS's own: the Moodle participant (or group) id, the Canvas user id, the Blackboard user
name, or the folder's name (a roster maps them to the course's ids: :mod:`autograder.lms.roster`).
"""

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime

from .archive import is_zip

MOODLE, CANVAS, BLACKBOARD, FOLDER = "moodle", "canvas", "blackboard", "folder"
#: Moodle's prefix: the name holds no "_" (downloader.php get_student_prefix(): str_replace('_', ' ', $fullname)).
#: What follows the plugin is "" (a folder, Moodle >= 4.1), "_" (a folder, 3.1-4.0) or "_<file>" (flat).
MOODLE_ENTRY = re.compile(r"^(?P<name>[^_]*)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)(?P<rest>(?:_.*)?)$",
                          re.DOTALL)
#: The default team of a team submission: get_string('defaultteam', 'mod_assign') with no group id after it.
MOODLE_NO_GROUP = re.compile(r"^(?P<name>[^_]*)_assignsubmission_(?P<plugin>[a-z0-9]+)(?P<rest>(?:_.*)?)$", re.DOTALL)
#: Moodle's name for a participant under blind marking (the English string 'participant' of mod_assign).
MOODLE_ANONYMOUS = "Participant"
#: Canvas's prefix (content_zipper.rb get_filename(): [users_name, "LATE", id].compact.join("_")); the name is
#: checked separately (:func:`_canvas_word`: Python's ``\w`` leaves out the marks Canvas's [[:word:]] keeps).
CANVAS_ANONYMOUS = re.compile(r"^(?:(?P<late>LATE)_)?(?P<id>anon_[A-Za-z0-9]+)_(?P<tail>.+)$", re.DOTALL)
#: What follows the name, read at each "_" of an entry: the name is the student's sortable name, which the student
#: may be able to edit, and Canvas's sanitize_user_name() removes "_<digits>_" from it but not a final "_<digits>";
#: so "victim_1002_1099_..." may be the entry of user 1099 named "victim_1002" (see :func:`settle_canvas`).
CANVAS_AFTER_NAME = re.compile(r"_(?:(?P<late>LATE)_)?(?P<id>\d+)_(?P<tail>.+)$", re.DOTALL)
#: The longest file name a file system holds (Linux's NAME_MAX, in bytes): a longer entry is never unpacked.
NAME_MAX = 255
#: What follows Canvas's prefix: "<attachment id>_<file>" (add_upload_submission) or text/link pages.
CANVAS_TAIL = re.compile(r"^(?:(?P<attachment>\d+)_(?P<file>.+)|(?P<kind>text|link)\.html)$", re.DOTALL)
#: Blackboard's prefix ends at the first "_attempt_<time>": what follows is the student's file name.
BLACKBOARD_ENTRY = re.compile(r"^(?P<head>.+?)_attempt_(?P<time>\d{4}(?:-\d\d){5})(?:_(?P<file>.+)|(?P<receipt>\.txt))$",
                              re.DOTALL)
BLACKBOARD_TIME = "%Y-%m-%d-%H-%M-%S"
#: A receipt's first line, in any interface language: "<label>: <full name> (<user name>)".
_RECEIPT_NAME = re.compile(r"^[^:\n]{1,40}:\s*(?P<name>.*?)\s*\((?P<id>[^()\n]+)\)\s*$")


@dataclass(frozen=True)
class Owner:
    """Whose a top-level entry of a download is, and what it is."""

    #: Which convention named it: :data:`MOODLE`, :data:`CANVAS`, :data:`BLACKBOARD` or :data:`FOLDER`.
    lms: str
    #: The student's (or, for a Moodle team, the group's) id in that LMS; for Blackboard, the prefix
    #: ``<assignment>_<user name>`` until :func:`blackboard_users` splits it; "" when the LMS gives none.
    lms_id: str
    #: The student's name as the entry gives it ("" when it does not).
    name: str = ""
    #: The name the student gave the file ("" when the entry is a folder of the student's files).
    file_name: str = ""
    #: For Blackboard, the attempt the entry belongs to (its time; None otherwise).
    attempt: datetime = None
    #: A receipt or an online-text page rather than an upload (kept in the listing of what was found).
    not_upload: bool = False
    #: Canvas's LATE flag: True when the prefix has it, None where the LMS does not say.
    late: bool = None
    #: Why the entry cannot be attributed to anyone ("" when it can).
    unattributed: str = ""
    #: The entry's other readings by the same convention, each another id's (Canvas: see :func:`settle_canvas`).
    other_readings: tuple = ()


def classify(name, is_dir, lms=None):
    """The :class:`Owner` of a top-level entry called ``name``, or None when no convention names it.

    ``lms`` (one of :data:`LMS_NAMES`) reads the name by that LMS's convention only (see :func:`download_lms`).
    A folder named like a zip (``x.zip/``) is a zip that was unpacked: it is named like the file it was.
    """
    file_like = not is_dir or is_zip(name)
    for reader in ([_READERS[lms]] if lms else _READERS.values()):
        owner = reader(name, is_dir, file_like)
        if owner is not None:
            return owner
    if is_dir:
        return Owner(FOLDER, name[:-len(".zip")] if is_zip(name) else name)
    if is_zip(name):
        return Owner(FOLDER, name[:-len(".zip")], file_name=name)
    return None


def _moodle(name, is_dir, file_like):
    match = MOODLE_ENTRY.match(name)
    no_group = None if match else MOODLE_NO_GROUP.match(name)
    found = match or no_group
    if found is None:
        return None
    rest, not_upload = found["rest"], found["plugin"] != "file"
    if is_dir and rest in ("", "_"):
        file_name = ""
    elif file_like and len(rest) > 1:
        file_name = rest[1:]
    else:
        return None
    if no_group:
        return Owner(MOODLE, "", found["name"], file_name, not_upload=not_upload,
                     unattributed="Moodle's default team (students in no group) has no id in the download")
    display = "" if found["name"] == MOODLE_ANONYMOUS else found["name"]
    return Owner(MOODLE, found["id"], display, file_name, not_upload=not_upload)


def _canvas(name, is_dir, file_like):
    """Canvas's first reading of ``name`` (as Canvas's own import reads it: the leftmost), the others kept."""
    readings = _canvas_readings(name) if file_like else []
    if not readings:
        return None
    return replace(readings[0], other_readings=tuple(readings[1:]))


def _canvas_readings(name):
    """Every reading of ``name`` by Canvas's convention, one per id, the leftmost split first.

    A name longer than a file name can be (:data:`NAME_MAX`) is never unpacked: only its leftmost reading is made,
    since each reading holds most of the name and a zip's name may be 65,535 bytes long.
    """
    readings, ids = [], set()

    def read(person, match):
        tail = CANVAS_TAIL.match(match["tail"])
        if tail is None or match["id"] in ids:
            return
        ids.add(match["id"])
        late = bool(match["late"])
        if tail["kind"]:
            readings.append(Owner(CANVAS, match["id"], person, f"{tail['kind']}.html", not_upload=True, late=late))
        else:
            readings.append(Owner(CANVAS, match["id"], person, tail["file"], late=late))

    anonymous = CANVAS_ANONYMOUS.match(name)
    if anonymous:
        read("", anonymous)
    overlong = len(name.encode("utf-8", "surrogateescape")) > NAME_MAX
    for position, character in enumerate(name):
        if readings and overlong:
            break
        if character == "_" and (match := CANVAS_AFTER_NAME.match(name, position)):
            read(name[:position], match)
        if not _canvas_word(character):
            break  # the name is letters, marks, digits and "_" only: no later "_" ends it
    return readings


def settle_canvas(owners, roster_ids=None):
    """``owners`` (a download's, in order; None for an entry no convention names) with each Canvas entry that reads
    as more than one id's settled by the roster's LMS ids, ``roster_ids``.

    Both ends of a Canvas name are the student's: a sortable name can end in a classmate's ``_<id>`` and a file
    name can start with ``<id>_``, so only the roster says which reading is a student's. One such reading is
    taken; with several, nobody's: the entry is left unattributed, for the instructor to grade by hand; with
    none, the leftmost, as Canvas's own import reads it, keeping the ``other_readings`` for a note. Without a
    roster every entry is read as Canvas reads it (the leftmost): GRADING.md asks for the roster with Canvas.
    """
    if roster_ids is None:
        return [replace(owner, other_readings=()) if owner is not None else None for owner in owners]
    settled = []
    for owner in owners:
        if owner is None or owner.lms != CANVAS or not owner.other_readings:
            settled.append(owner)
            continue
        readings = [replace(owner, other_readings=()), *owner.other_readings]
        plausible = [reading for reading in readings if reading.lms_id in roster_ids]
        if len(plausible) > 1:
            ids = " or ".join(reading.lms_id for reading in plausible)
            settled.append(replace(owner, lms_id="", other_readings=(), unattributed=(
                f"Canvas's name for it reads as the entry of {ids}, each a student's in the roster")))
        else:
            settled.append(plausible[0] if plausible else replace(owner, other_readings=tuple(readings[1:])))
    return settled


def _canvas_word(character):
    """Whether Canvas's ``[[:word:]]`` (Onigmo: letters, marks, decimal digits, connector punctuation) holds it."""
    category = unicodedata.category(character)
    return category[0] in "LM" or category in ("Nd", "Pc")


def _blackboard(name, is_dir, file_like):
    match = BLACKBOARD_ENTRY.match(name) if file_like else None
    if match is None:
        return None
    try:
        attempt = datetime.strptime(match["time"], BLACKBOARD_TIME)
    except ValueError:
        return None
    if match["receipt"]:
        return Owner(BLACKBOARD, match["head"], attempt=attempt, not_upload=True)
    return Owner(BLACKBOARD, match["head"], file_name=match["file"], attempt=attempt)


_READERS = {MOODLE: _moodle, BLACKBOARD: _blackboard, CANVAS: _canvas}
#: The LMSs whose downloads are read, in the order that settles a tie.
LMS_NAMES = tuple(_READERS)


def download_lms(entries):
    """The LMS that wrote a download whose top-level entries are ``entries`` (``(name, is_dir)``), or None.

    One LMS writes a whole download, so its entries are read by one convention: the one that names most of them.
    A student's part of a name (Canvas's file name holding ``_attempt_<time>.txt``, say) is then never read by
    another LMS's convention.
    """
    counts = {lms: sum(_READERS[lms](name, is_dir, not is_dir or is_zip(name)) is not None for name, is_dir in entries)
              for lms in LMS_NAMES}
    best = max(LMS_NAMES, key=lambda lms: (counts[lms], -LMS_NAMES.index(lms)))
    return best if counts[best] else None


def owner_keys(entries, roster_ids=None):
    """``{name: key}`` for a download's top-level entries (``(name, is_dir)``): the entries one LMS prefix names
    (a Canvas user's files, a Moodle participant's folders, a Blackboard user's attempts) share a key, so that they
    share one student's allowance while the download is unpacked; any other entry is a key of its own."""
    lms = download_lms(entries)
    owners = settle_canvas([classify(name, is_dir, lms) if lms else None for name, is_dir in entries], roster_ids)
    return {name: (owner.lms, owner.lms_id) if owner and owner.lms != FOLDER and owner.lms_id else name
            for (name, _), owner in zip(entries, owners)}


def is_lms_entry(name, is_dir):
    """Whether an LMS's convention (not a plain folder per student) names this entry."""
    owner = classify(name, is_dir)
    return owner is not None and owner.lms != FOLDER


def read_receipt(text, stored_names=()):
    """A Blackboard receipt's student name and user name, and ``{stored file name: original name}``.

    Only what Blackboard writes is read, in any interface language: the name from the first line (the student's
    own text, under "Comments", comes later), and an original name only for a file of ``stored_names`` (this
    attempt's files), from the line before the one that names the stored file. An original name is the name the
    student gave the file: one that is not a plain file name (:func:`is_plain_file_name`) is not taken, and the
    file keeps its stored name, since the intake joins it to folders (``../../grade.py`` would be written there).
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    match = _RECEIPT_NAME.match(lines[0]) if lines else None
    name, user = (match["name"], match["id"].strip()) if match else ("", "")
    originals, stored = {}, set(stored_names)
    for before, line in zip(lines, lines[1:]):
        value = line.split(":", 1)[-1].strip()
        if value in stored and ":" in before and is_plain_file_name(original := before.split(":", 1)[1].strip()):
            originals[value] = original
    return name, user, originals


def is_plain_file_name(name):
    """Whether ``name`` names a file in a folder and nothing else: no folder separator, not ``.`` nor ``..``, no
    NUL, no drive. What a student named a file (a receipt's original name) must be one before it is a path."""
    return bool(name) and name not in (".", "..") and not any(c in name for c in "/\\\0") and ":" not in name[1:2]


def blackboard_users(heads, receipt_users):
    """``{head: user name}`` for Blackboard's prefixes ``<assignment>_<user name>``.

    Parameters
    ----------
    heads : iterable of str
        Every prefix of the download.
    receipt_users : dict
        ``{head: user name}`` from the receipts' first lines (Blackboard's own).

    The assignment's name is the same for the whole download: read from a receipt whose user name ends its head;
    else what every head shares up to a ``_`` (with two heads or more); else a head is split at its last ``_``.
    """
    heads = sorted(set(heads))
    assignment = next((head[:-len(user) - 1] for head, user in sorted(receipt_users.items())
                       if user and head.endswith(f"_{user}") and len(head) > len(user) + 1), None)
    if assignment is None and len(heads) > 1:
        shared = _common_prefix(heads)
        cut = shared.rfind("_")
        assignment = shared[:cut] if cut > 0 else None
    users = {}
    for head in heads:
        if assignment is not None and head.startswith(f"{assignment}_") and len(head) > len(assignment) + 1:
            users[head] = head[len(assignment) + 1:]
        else:
            users[head] = head.rsplit("_", 1)[-1]
    return users


def _common_prefix(names):
    first, last = min(names), max(names)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]
