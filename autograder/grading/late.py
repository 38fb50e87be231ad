"""A course's late policy: a deadline, per-student extensions and a penalty rule, off unless configured.

The policy is one TOML file (``python -m autograder grade --late-policy late.toml``), either at its top level
or in a ``[late]`` table of a larger course file::

    deadline = 2026-12-01T23:59:00+01:00   # a TOML date-time; without an offset, in `timezone`
    timezone = "Europe/Berlin"             # IANA name (default "UTC"): local deadlines, Blackboard times
    grace_minutes = 15                     # late by no more than this: no penalty
    penalty_percent = 10                   # per started `per` late, of the points the student earned
    per = "day"                            # "day" or "hour"
    max_penalty_percent = 50               # the penalty never exceeds this (default 100)
    cutoff = 2026-12-08T23:59:00+01:00     # optional: handed in after it, the score is 0
    canvas_late_flag_penalty = 0           # percent when Canvas says LATE but gives no time (default 0: noted)

    [extensions]                           # course id = that student's own deadline
    ana = 2026-12-03T23:59:00+01:00

The penalty is a percentage of the points the student earned (code and written answers together), so a
student's total is ``(code + written) * (1 - percent / 100)``: the raw code score is kept, and the percentage
is recorded beside it (:class:`autograder.results.StudentResult`), so written answers graded later are
penalized alike. Lateness is counted from the student's deadline (their extension, else the course's), once
past the grace period; the grace period delays the first step, it is not subtracted from the lateness.

Submission times are those the intake reads (:mod:`autograder.intake.times`): nbgrader's ``timestamp.txt``
(UTC) and Blackboard's attempt times (read in ``timezone``). Moodle and Canvas downloads carry no time: the
student's note says the policy was not applied, rather than guessing. Canvas's ``LATE`` flag alone is noted
and costs ``canvas_late_flag_penalty`` percent (0 unless the course sets it).
"""

import math
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..intake.times import NBGRADER_TIMESTAMP

UNITS = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
KEYS = {"deadline", "timezone", "grace_minutes", "penalty_percent", "per", "max_penalty_percent", "cutoff",
        "canvas_late_flag_penalty", "extensions"}
#: What a student reads when the policy is on but the download has no time.
NO_TIME = "No submission time in this download: late policy not applied."


class LatePolicyError(ValueError):
    """The late policy file cannot be used; the message names the key and says what to write."""


@dataclass(frozen=True)
class Lateness:
    """What the policy makes of one submission: the percentage taken off the points earned, and why."""

    percent: float = 0.0
    note: str = ""


@dataclass(frozen=True)
class LatePolicy:
    """A checked late policy (see the module's docstring); every time aware."""

    deadline: datetime
    zone: object = timezone.utc
    grace: timedelta = timedelta(0)
    penalty_percent: float = 0.0
    per: str = "day"
    max_penalty_percent: float = 100.0
    cutoff: datetime = None
    canvas_late_flag_penalty: float = 0.0
    extensions: dict = field(default_factory=dict)

    def deadline_of(self, student_id):
        return self.extensions.get(student_id, self.deadline)

    def unknown_extensions(self, student_ids):
        """A note naming the extensions of students not in ``student_ids`` (a mistyped id would cost its student
        the extension without a word), or "" when there are none."""
        unknown = sorted(set(self.extensions) - set(student_ids))
        if not unknown:
            return ""
        return (f"The late policy grants extensions to students not in this batch: {', '.join(unknown)}. Extensions "
                "are keyed by the course id (the folder names of submitted/, or the roster's student_id).")

    def percent_for(self, student_id, submitted_at):
        """The percentage off for a submission at the aware time ``submitted_at`` (0 on time or within grace)."""
        if self.cutoff is not None and submitted_at > max(self.cutoff, self.deadline_of(student_id)):
            return 100.0
        late = submitted_at - self.deadline_of(student_id)
        if late <= self.grace or late <= timedelta(0):
            return 0.0
        steps = math.ceil(late / UNITS[self.per])
        return min(self.penalty_percent * steps, self.max_penalty_percent, 100.0)

    def assess(self, submission):
        """The :class:`Lateness` of an intake :class:`~autograder.intake.batch.Submission`."""
        if submission.submitted_at is None:
            if submission.late:
                percent = self.canvas_late_flag_penalty
                return Lateness(percent, "Canvas marked this submission late but gives no time: "
                                + (f"{_pct(percent)} off, as the course's late policy says." if percent
                                   else "noted, no penalty."))
            return Lateness(0.0, NO_TIME)
        zone = timezone.utc if submission.submitted_from == NBGRADER_TIMESTAMP else self.zone
        stamp = submission.submitted_at
        stamp = stamp.replace(tzinfo=zone) if stamp.tzinfo is None else stamp
        percent = self.percent_for(submission.student_id, stamp)
        deadline = self.deadline_of(submission.student_id)
        when = f"Handed in {_show(stamp, self.zone)} [{submission.submitted_from}]"
        due = f"due {_show(deadline, self.zone)}" + (" (extended)" if submission.student_id in self.extensions else "")
        if stamp <= deadline:
            return Lateness(0.0, f"{when}, {due}: on time.")
        if percent == 0:
            return Lateness(0.0, f"{when}, {due}: late by {_span(stamp - deadline)}, within the grace period.")
        if percent >= 100 and self.cutoff is not None and stamp > max(self.cutoff, deadline):
            return Lateness(100.0, f"{when}, after the cutoff {_show(self.cutoff, self.zone)}: scored 0.")
        return Lateness(percent, f"{when}, {due}: late by {_span(stamp - deadline)}, {_pct(percent)} off.")


def _pct(percent):
    return f"{percent:g}%"


def _show(moment, zone):
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _span(delta):
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    parts += [f"{minutes} minute{'s' if minutes != 1 else ''}"] if minutes or not parts else []
    return " ".join(parts)


def read_policy(path):
    """The :class:`LatePolicy` of the TOML file ``path`` (its top level, or its ``[late]`` table)."""
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise LatePolicyError(f"--late-policy {path}: cannot be read ({error.strerror or error}).") from None
    except tomllib.TOMLDecodeError as error:
        raise LatePolicyError(f"--late-policy {path} is not valid TOML: {error}.") from None
    if isinstance(document.get("late"), dict):
        document = document["late"]
    return parse_policy(document, str(path))


def parse_policy(table, source="the late policy"):
    """A :class:`LatePolicy` from a TOML table (plain dict); LatePolicyError names the first bad key."""
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise LatePolicyError(f"{source}: unknown key {unknown[0]!r}; the keys are {', '.join(sorted(KEYS))}.")
    if "deadline" not in table:
        raise LatePolicyError(f"{source}: 'deadline' is missing: write e.g. deadline = 2026-12-01T23:59:00+01:00.")
    zone_name = table.get("timezone", "UTC")
    try:
        # UTC needs no time-zone database (a machine without tzdata still reads a UTC policy).
        zone = (timezone.utc if zone_name == "UTC" else ZoneInfo(zone_name)) if isinstance(zone_name, str) else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    if zone is None:
        raise LatePolicyError(f"{source}: 'timezone' must be an IANA zone name such as \"Europe/Berlin\" or "
                              f"\"UTC\", got {zone_name!r}.")
    per = table.get("per", "day")
    if per not in UNITS:
        raise LatePolicyError(f"{source}: 'per' must be \"day\" or \"hour\", got {per!r}.")
    extensions = table.get("extensions", {})
    if not isinstance(extensions, dict):
        raise LatePolicyError(f"{source}: 'extensions' must be a table [extensions] of student id = date-time.")
    return LatePolicy(
        deadline=_moment(table["deadline"], zone, source, "deadline"), zone=zone,
        grace=timedelta(minutes=_number(table, "grace_minutes", 0, source)),
        penalty_percent=_number(table, "penalty_percent", 0, source, 100), per=per,
        max_penalty_percent=_number(table, "max_penalty_percent", 100, source, 100),
        cutoff=_moment(table["cutoff"], zone, source, "cutoff") if "cutoff" in table else None,
        canvas_late_flag_penalty=_number(table, "canvas_late_flag_penalty", 0, source, 100),
        extensions={str(student): _moment(value, zone, source, f"extensions.{student}")
                    for student, value in extensions.items()})


def _number(table, key, default, source, upper=None):
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or (
            upper is not None and value > upper):
        bound = f"between 0 and {upper}" if upper is not None else "0 or more"
        raise LatePolicyError(f"{source}: {key!r} must be a number {bound}, got {value!r}.")
    return float(value)


def _moment(value, zone, source, key):
    """An aware datetime from a TOML date-time (with or without offset, in ``zone`` when without) or a date
    (its end: 23:59:59)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59), tzinfo=zone)
    raise LatePolicyError(f"{source}: {key!r} must be a TOML date-time such as 2026-12-01T23:59:00+01:00 (not in "
                          f"quotes), got {value!r}.")
