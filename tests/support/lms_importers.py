"""The LMSs' grade importers, transcribed to Python so that tests run their rules on the exported files.

Each step cites the LMS source it follows (Moodle ``moodle/moodle``, Canvas ``instructure/canvas-lms``, as
read for issue 18). Only what decides *which student, which column, which score, or whether a row is
skipped* is transcribed; the web forms, permissions and database writes are left out, and the database
is a dictionary the test gives.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo


# ---------------------------------------------------------------------------------------------------------------
# Moodle: mod/assign/feedback/offline (Upload grading worksheet)
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class MoodleAssignment:
    """What the importer asks Moodle's database: the participants, their current grades, the maximum grade."""

    #: ``assign_user_mapping``: participant id (the worksheet's number) -> user id.
    participants: dict
    #: The assignment's ``grade`` (its maximum grade; Moodle's default is 100).
    max_grade: float = 100.0
    #: user id -> (grade, timemodified as a Unix time) of grades Moodle already has.
    current: dict = field(default_factory=dict)
    #: The uploader's language strings: recordid, hiddenuser, gradenoun, lastmodifiedgrade.
    strings: tuple = ("Identifier", "Participant ", "Grade", "Last modified (grade)")
    #: The Moodle server's time zone (PHP's default zone, in which strtotime reads a date without one).
    server_zone: str = "UTC"
    #: The upload form's "Ignore modified" box.
    ignore_modified: bool = False


class MoodleRefused(Exception):
    """Moodle refuses the whole file (``invalidgradeimport`` or ``csvweirdcolumns``)."""


def moodle_csv_rows(text):
    """``csv_import_reader::load_csv_content`` (lib/csvlib.class.php): BOM trimmed, newlines to ``\\n``, the content
    trimmed, fgetcsv with ``,`` and ``"``, blank lines dropped, every row as wide as the header."""
    text = text.lstrip("\ufeff")                                   # core_text::trim_utf8_bom($content)
    text = re.sub(r"\r\n?", "\n", text).strip()                     # preg_replace('!\r\n?!', "\n"); trim($content)
    rows = [row for row in csv.reader(io.StringIO(text)) if row]    # fgetcsv; "if (count($fgetdata) == 1 ...)"
    if not rows:
        raise MoodleRefused("csvemptyfile")
    if any(len(row) != len(rows[0]) for row in rows):              # "if (count($rowdata) !== $col_count)"
        raise MoodleRefused("csvweirdcolumns")
    return rows


def php_strtotime(text, zone):
    """PHP's ``strtotime`` for the forms a worksheet holds: ISO 8601 with an offset (an absolute time); Moodle's
    English ``strftimedatetime`` (``Monday, 7 December 2026, 1:04 AM``) without a zone, read in the default zone
    ``zone``; anything else (a localised date) is false, which PHP compares as 0."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            return moment.timestamp()
    except ValueError:
        pass
    for form in ("%A, %d %B %Y, %I:%M %p", "%A, %d %B %Y, %H:%M"):
        try:
            return datetime.strptime(text, form).replace(tzinfo=ZoneInfo(zone)).timestamp()
        except ValueError:
            continue
    return 0


def unformat_float(value):
    """``unformat_float`` (lib/moodlelib.php) for an English-decimal site: '' is null, a non-number false."""
    value = value.strip().replace(" ", "")
    if value == "":
        return None
    try:
        return float(value)
    except ValueError:
        return False


def moodle_import(text, assignment):
    """Run the worksheet importer on ``text``: ``({user id: grade written}, {user id: why skipped})``."""
    rows = moodle_csv_rows(text)
    columns = rows[0]
    recordid, hiddenuser, gradenoun, lastmodified = assignment.strings
    # importgradeslib.php init(): "if ($column == $strgrade)" ... each index is the last column equal to the string.
    index = {}
    for position, column in enumerate(columns):
        for key, string in (("grade", gradenoun), ("id", recordid), ("modified", lastmodified)):
            if column == string:
                index[key] = position
    if len(index) < 3:                                              # "if ($this->idindex < 0 || ...) return false"
        raise MoodleRefused("invalidgradeimport")
    written, skipped = {}, {}
    for record in rows[1:]:
        # next(): "$id = substr($idstr, strlen(get_string('hiddenuser', 'assign')))" -- strlen counts bytes.
        raw = record[index["id"]].encode("utf-8")[len(hiddenuser.encode("utf-8")):].decode("utf-8", "replace")
        # get_user_id_for_uniqueid($id): the assign_user_mapping row of that id (an integer column).
        user = assignment.participants.get(int(raw)) if raw.isdigit() else None
        if user is None:                                            # not a participant: the row is passed over
            continue
        grade = unformat_float(record[index["grade"]])              # process_import_grades(): unformat_float
        modified = php_strtotime(record[index["modified"]], assignment.server_zone)
        current = assignment.current.get(user)
        stale = current is not None and current[1] > modified + 60  # "$usergrade->timemodified > ($modified + 60)"
        if current is not None and current[0] == grade:
            skipped[user] = "grade not modified"
        elif grade is None or grade is False or grade < 0:
            skipped[user] = "grade has no value"
        elif not assignment.ignore_modified and stale:
            skipped[user] = "grade has been modified in Moodle since"
        elif grade > assignment.max_grade:                          # "($record->grade > ...->get_instance()->grade)"
            skipped[user] = "out of range"
        else:
            written[user] = grade
    return written, skipped


# ---------------------------------------------------------------------------------------------------------------
# Canvas: app/models/gradebook_importer.rb (Grades > Import)
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class CanvasCourse:
    """What the importer asks Canvas's database."""

    #: assignment id -> (title, points possible).
    assignments: dict
    #: user id -> (name, sortable name, SIS user id, SIS login id).
    students: dict


class CanvasRefused(Exception):
    """``InvalidHeaderRow``: Canvas refuses the file."""


@dataclass
class CanvasResult:
    #: One per student row: ``(user id or None for an unknown student, {assignment key: grade})``; an existing
    #: assignment's key is its id, a new one's ``("new", title)``.
    rows: list
    #: assignment key -> points possible the import would set.
    points: dict


def ruby_to_i(text):
    """Ruby's ``String#to_i``: leading blanks, a sign and digits, else 0 (``"1001-ana".to_i`` is 1001)."""
    match = re.match(r"\s*([-+]?\d+)", text)
    return int(match[1]) if match else 0


def _decimal_comma_to_period(cell):
    # CSV::Converters[:decimal_comma_to_period]
    if cell is not None and re.fullmatch(r"-?[0-9.,]+%?", cell):
        parts = re.split(r"[,.]", cell)
        last = parts.pop()
        return last if not parts else "".join(parts) + "." + last
    return cell


def canvas_csv_rows(text):
    """``csv_stream``: ``;`` or ``,`` (``identify_delimiter`` on the first 3 lines), blank lines skipped
    (``skip_lines: /^[;, ]+$/``), an empty field nil (Ruby's CSV), ``decimal_comma_to_period``."""
    lines = text.lstrip("\ufeff").splitlines()
    counts = {}
    for separator in ";,":
        sizes = {len(next(csv.reader([line], delimiter=separator))) for line in lines[:3]}
        counts[separator] = sizes.pop() if len(sizes) == 1 else 0
    separator = ";" if counts[";"] > counts[","] else ","
    rows = []
    for line in lines:
        if re.fullmatch(r"[;, ]+", line):
            continue
        cells = next(csv.reader([line], delimiter=separator))
        rows.append([_decimal_comma_to_period(cell if cell != "" else None) for cell in cells])
    return rows


def title_and_id(name):
    """``Assignment.title_and_id`` (app/models/assignment.rb)."""
    match = re.fullmatch(r"(.*)\s\((\d+)\)", name, re.DOTALL)
    return (match[1], match[2]) if match else (name, None)


NON_ASSIGNMENT = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
                            "Override Score|Override Grade|Override Status")


def _header(row, course):
    """``process_header``: the student columns' count, SIS columns, and each assignment column's key and index."""
    # row_has_student_headers?: "row.length > 3 && row[0].include?("Student") && row[1].include?("ID")"
    if not (len(row) > 3 and "Student" in (row[0] or "") and "ID" in (row[1] or "")):
        raise CanvasRefused("Invalid header row")
    student_columns, sis_user, sis_login = 3, None, None           # update_column_count
    if re.search(r"SIS\s+Login\s+ID", row[2] or ""):
        sis_login, student_columns = 2, 4
    elif re.search(r"SIS\s+User\s+ID", row[2] or "") and re.search(r"SIS\s+Login\s+ID", row[3] or ""):
        extra = 1 if re.search(r"Integration\s+ID", (row[4] if len(row) > 4 else "") or "") else 0
        sis_user, sis_login, student_columns = 2, 3, 3 + 2 + extra
    if "Section" not in (row[student_columns - 1] or ""):          # "last_student_info_column(row).include?("Section")"
        raise CanvasRefused("Invalid header row")
    titles = {title: id_ for id_, (title, _) in course.assignments.items()}
    columns = []
    for name in [cell for cell in row[student_columns:] if not NON_ASSIGNMENT.search(cell or "")]:
        title, id_ = title_and_id(name)                             # parse_assignments
        if id_ is not None and int(id_) in course.assignments:
            key = int(id_)
        elif name in titles:                                        # "backward compat": an existing title
            key = titles[name]
        else:
            key = ("new", title)                                    # Assignment.new(title: title || name_and_id)
        columns.append((key, row.index(name)))                      # calc_assignment_indices
    return sis_user, sis_login, columns


def _student(row, course, sis_user, sis_login):
    """``process_student``: by ``row[1].to_i``, the SIS user id, the SIS login id, then the name; None if new."""
    if row[1] and ruby_to_i(row[1]) in course.students:
        return ruby_to_i(row[1])
    for column, position in ((sis_user, 2), (sis_login, 3)):
        if column is not None and row[column]:
            for user, fields in course.students.items():
                if fields[position] == row[column]:
                    return user
    for user, (name, sortable, *_) in course.students.items():
        if row[0] in (name, sortable):
            return user
    return None


def canvas_import(text, course):
    """Run ``GradebookImporter#parse!``'s reading of ``text`` against ``course``."""
    rows = canvas_csv_rows(text)
    sis_user, sis_login, columns = _header(rows[0], course)
    points, result = {}, []
    for row in rows[1:]:
        if row[0] is not None and "Points Possible" in row[0]:     # check_for_non_student_row -> process_pp
            for key, position in columns:
                if position < len(row) and row[position] is not None:  # "if row[@assignment_indices[...]]"
                    points[key] = row[position]
            continue
        if all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", cell, re.I) for cell in row if cell is not None):
            continue
        user = _student(row, course, sis_user, sis_login)
        grades = {key: (row[position] or "").strip() for key, position in columns}  # process_submissions
        result.append((user, grades))
    return CanvasResult(result, points)
