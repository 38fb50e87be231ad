"""When a submission was made, from the records each route keeps (for a late policy; none is applied here).

Only records the student does not write are read:

- a Blackboard attempt's time, in the name Blackboard gives its files (:mod:`.layouts`);
- nbgrader's ``timestamp.txt``, which ``nbgrader submit`` writes into the submission and ``nbgrader collect``
  (or ``zip_collect``) keeps at ``submitted/<student>/<assignment>/timestamp.txt``: read as nbgrader's own
  ``nbgrader.utils.parse_utc`` reads it (transcribed: importing nbgrader takes seconds), so the time is UTC as
  nbgrader's late check has it, and only from that place in a folder read from disk, never from inside a
  student's zip;
- Canvas's ``LATE`` flag (whether Canvas counted the submission late; it gives no time).

Moodle's download gives no time at all (its zip writer dates every member at the time of the download), nor does
Canvas's: their times are in the LMS's gradebook and grading worksheet.
"""

from pathlib import Path

#: What nbgrader writes is one short line; a longer file is not its timestamp.
MAX_TIMESTAMP_BYTES = 200
BLACKBOARD_ATTEMPT = "Blackboard attempt (in the download's file names)"
NBGRADER_TIMESTAMP = "nbgrader timestamp.txt (UTC)"


def nbgrader_timestamp(assignment_folder):
    """The UTC time (naive) in ``assignment_folder/timestamp.txt``, or None when there is none or it is unreadable."""
    path = Path(assignment_folder) / "timestamp.txt"
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_TIMESTAMP_BYTES:
            return None
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return parse_utc(text)
    except (ValueError, OverflowError, TypeError):
        return None


def parse_utc(text):
    """nbgrader.utils.parse_utc for a string: ``"<date> <time> <zone>"`` (a name or a numeric offset) or any form
    dateutil reads; the result naive, in UTC."""
    import dateutil.parser
    import dateutil.tz

    parts = text.split(" ")
    if len(parts) == 3:
        zone = parts[2]
        try:
            zone = int(zone)
        except ValueError:
            zone = dateutil.tz.gettz(zone)
        stamp = dateutil.parser.parse(" ".join(parts[:2] + ["TZ"]), tzinfos={"TZ": zone})
    else:
        stamp = dateutil.parser.parse(text)
    if stamp.tzinfo is not None:
        stamp = (stamp - stamp.utcoffset()).replace(tzinfo=None)
    return stamp
