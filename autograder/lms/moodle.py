"""Moodle's "Upload grading worksheet" (``assignfeedback_offline``), as its importer reads a CSV file.

``mod/assign/feedback/offline/importgradeslib.php`` and ``locallib.php`` ``process_import_grades()``:

- ``init()`` finds three columns by their header, compared with ``==`` to strings *in the uploading user's
  language*: ``get_string('recordid', 'assign')`` (the identifier), ``get_string('gradenoun')`` (the grade) and
  ``get_string('lastmodifiedgrade', 'assign')``; a file lacking one is refused ("invalid grade import"). Every
  other column (full name, email, maximum grade) is ignored. :data:`LANGUAGES` holds these strings.
- ``next()`` takes the participant id as ``substr($idstr, strlen(get_string('hiddenuser', 'assign')))``: the
  identifier's first *bytes* are cut by the length of that language's "Participant " whatever they are, so the
  prefix is written exactly, in the same language, as Moodle's own worksheet writes it (``col_recordid`` in
  ``mod/assign/gradingtable.php``: ``get_string('hiddenuser', 'assign') . $row->recordid``).
- ``process_import_grades()`` skips a row, without a word, when its grade is above the assignment's maximum grade
  (``$record->grade > $this->assignment->get_instance()->grade``; the worksheet's ``Maximum Grade`` is never
  read), so the scores are checked against, or scaled to, the maximum the instructor gives (``--max-grade``).
- It also skips a row whose grade Moodle changed after the row's time stamp (``$usergrade->timemodified >
  ($modified + 60)``, with ``$modified = strtotime(<the cell>)``). ``strtotime`` reads a date without a zone in
  the *server's* zone, and a localised date (``Montag, 7. Dezember ...``) not at all (false: 0, always stale),
  so the stamp is written as ISO 8601 with its UTC offset, one absolute instant in any zone and language.
- ``unformat_float`` reads the grade: a plain number with a ``.`` (no thousands separator) reads the same in
  every language.
"""

import csv
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..outputs.render import number, text_cell


@dataclass(frozen=True)
class Strings:
    """The strings of one Moodle interface language the worksheet importer compares with."""

    #: ``get_string('recordid', 'assign')``
    identifier: str
    #: ``get_string('hiddenuser', 'assign')``, written before each participant id (trailing space included).
    participant: str
    #: ``get_string('gradenoun')`` (core ``lang/<code>/moodle.php``; ``grade`` before Moodle 4.1).
    grade: str
    #: ``get_string('lastmodifiedgrade', 'assign')``
    modified: str


#: Copied from Moodle's language packs (``lang/en`` in moodle/moodle; de, fr, es from AMOS's ``mod/assign`` and
#: ``moodle.php`` packs). A language pack can be customised on a site: the header of a worksheet downloaded
#: from the assignment (Grading action > Download grading worksheet) shows the site's own strings.
LANGUAGES = {
    "en": Strings("Identifier", "Participant ", "Grade", "Last modified (grade)"),
    "de": Strings("ID", "Teilnehmer/in", "Bewertung", "Zuletzt geändert (Bewertung)"),
    "fr": Strings("Identifiant", "Participant", "Note", "Dernière modification (note)"),
    "es": Strings("Identificador", "Participante", "Calificación", "Última modificación (calificación)"),
}
#: The columns Moodle ignores, written for the instructor's eyes.
EXTRA = ("Full name", "Email address", "Maximum Grade")


class MoodleError(ValueError):
    """The worksheet cannot be written as asked; the message says what to do."""


def strings(language):
    """The :class:`Strings` of ``language`` (a Moodle language code); MoodleError naming the known ones."""
    try:
        return LANGUAGES[language]
    except KeyError:
        raise MoodleError(f"--language {language!r}: the worksheet's column names are known in "
                          f"{', '.join(sorted(LANGUAGES))}. Switch your Moodle profile's language to one of these "
                          "for the upload (Moodle compares the columns with your interface language's).") from None


def stamp(now=None):
    """The ``Last modified (grade)`` cell: ``now`` (default: the present) in UTC, ISO 8601 with its offset."""
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass(frozen=True)
class Worksheet:
    """What a grading worksheet downloaded from the assignment tells about the site."""

    #: The assignment's participant ids.
    participants: frozenset
    #: The site's own ``hiddenuser`` string before each id (None when the worksheet has no participant).
    prefix: str = None


def read_worksheet(path, language):
    """The :class:`Worksheet` of a grading worksheet downloaded from the assignment (Grading action > Download grading
    worksheet), whose header must hold ``language``'s three columns as this site writes them.

    The prefix of its identifiers is the site's own: the importer cuts exactly its length off each identifier, so
    a language pack of another version (or a customised string) would otherwise shift every id.
    """
    path = Path(path)
    try:
        rows = [row for row in csv.reader(path.read_text(encoding="utf-8-sig").splitlines()) if row]
    except (OSError, UnicodeDecodeError) as error:
        raise MoodleError(f"Cannot read the Moodle worksheet {path}: {error}.") from None
    text = strings(language)
    header = rows[0] if rows else []
    missing = [name for name in (text.identifier, text.grade, text.modified) if name not in header]
    if missing:
        raise MoodleError(f"{path} has no column {', '.join(map(repr, missing))} (its columns: "
                          f"{', '.join(map(repr, header)) or 'none'}): Moodle would refuse a worksheet in "
                          f"--language {language}. Pass the --language your Moodle showed when you downloaded it "
                          f"({', '.join(sorted(LANGUAGES))}), or download it again in that language.")
    column = header.index(text.identifier)
    identifiers = [re.fullmatch(r"(.*?)(\d+)", row[column], re.DOTALL) for row in rows[1:] if column < len(row)]
    prefixes = {match[1] for match in identifiers if match}
    if len(prefixes) > 1 or not all(identifiers):
        raise MoodleError(f"{path}: the {text.identifier!r} column holds identifiers of more than one form "
                          f"({', '.join(sorted(map(repr, prefixes)))}): give the worksheet exactly as Moodle wrote it.")
    return Worksheet(frozenset(match[2] for match in identifiers), prefixes.pop() if prefixes else None)


def check(rows, scores, max_grade, participants=None):
    """Refuse what Moodle would drop or misfile: no participant id, an id given twice, a score above the maximum,
    and, given the ``participants`` of a downloaded worksheet, an id that is none of them (a group's id, another
    LMS's id)."""
    lacking = [row.student_id for row in rows if not row.lms_id.isdigit()]
    if lacking:
        raise MoodleError(f"{len(lacking)} student{'s have' if len(lacking) > 1 else ' has'} no Moodle participant "
                          f"id, so Moodle could not find them: {', '.join(lacking)}. "
                          "Give --roster with their lms_id (see autograder/GRADING.md).")
    seen = {}
    for row in rows:
        if seen.setdefault(row.lms_id, row.student_id) != row.student_id:
            raise MoodleError(f"{seen[row.lms_id]} and {row.student_id} have the same Moodle participant id "
                              f"{row.lms_id}: one would overwrite the other's grade. Fix the roster.")
    strangers = [f"{row.student_id} ({row.lms_id})" for row in rows
                 if participants is not None and row.lms_id not in participants]
    if strangers:
        raise MoodleError(f"{len(strangers)} exported participant id{'s are' if len(strangers) > 1 else ' is'} none of "
                          f"the assignment's (its downloaded worksheet), so Moodle would pass over "
                          f"{'them' if len(strangers) > 1 else 'it'} without a word: {', '.join(strangers)}. A team's "
                          "group id needs the roster's group_id; check the roster's lms_id against the worksheet.")
    above = [f"{row.student_id} ({number(scores[row.student_id])})" for row in rows
             if scores[row.student_id] > max_grade + 1e-9]
    if above:
        raise MoodleError(f"Moodle skips, without a word, a grade above the assignment's maximum grade "
                          f"({number(max_grade)}): {', '.join(above)}.")


def write(writer, rows, scores, max_grade, language="en", now=None, prefix=None):
    """The worksheet's rows: its header and one row per student (``prefix``: the site's own "Participant ")."""
    text = strings(language)
    prefix = text.participant if prefix is None else prefix
    when = stamp(now)
    writer.writerow((text.identifier, EXTRA[0], EXTRA[1], text.grade, EXTRA[2], text.modified))
    for row in rows:
        writer.writerow([f"{prefix}{row.lms_id}", text_cell(row.name), text_cell(row.email),
                         number(scores[row.student_id]), number(max_grade), when])
