"""What nbgrader prints on this course: its lines per file left out, its known false alarms silenced.

``nbgrader zip_collect``, ``autograde`` and ``generate_feedback`` print several lines per file they touch (for a
class of six, hundreds: "Parsing file", "Copying ... -> ...", "Writing ... bytes", "Skipped submission with no
match information" for each file outside a student's chosen copy), which bury the few warnings an instructor acts
on. ``nbgrader_config.py`` calls :func:`quiet_nbgrader`, which filters those lines out of each app's logger
(traitlets names an app's logger after its class), and silences SQLAlchemy's warning about nbgrader's own
session handling. What stays: one line per student, nbgrader's counts, and every warning about a student (a
missing notebook, a changed test cell, the intake's notes, which name the student).
"""

import logging
import warnings

#: Starts of the per-file messages (nbgrader/apps/zipcollectapp.py, nbgrader/converters/base.py,
#: nbgrader/converters/autograde.py, nbconvert's writer), and of false alarms, per app.
_PER_FILE = ("Copying ", "Converting notebook ", "Writing ", "Setting destination file permissions",
             "  Copying to: ")
NOISE = {
    "ZipCollectApp": _PER_FILE + ("Parsing file: ", "Skipped submission with no match information provided: ",
                                  "Creating timestamp: ", "Found collected timestamp file: ",
                                  "Directory not found. Creating: "),
    "AutogradeApp": _PER_FILE + ("Sanitizing ", "Autograding ", "Overwriting files with master versions"),
    # nbgrader hands every preprocessor its display_data_priority; nbconvert warns of images without alt text in
    # the course's own notebooks, nothing a grader can act on.
    "GenerateFeedbackApp": _PER_FILE + ("Config option `display_data_priority` not recognized",
                                        "Alternative text is missing on "),
}


class LeaveOut(logging.Filter):
    """Drop the records whose message starts with one of ``prefixes``."""

    def __init__(self, prefixes):
        super().__init__()
        self.prefixes = tuple(prefixes)

    def filter(self, record):
        return not record.getMessage().startswith(self.prefixes)


def quiet_nbgrader():
    """Filter nbgrader's per-file lines and known false alarms out of its apps' output (idempotent)."""
    for app, prefixes in NOISE.items():
        logger = logging.getLogger(app)
        if not any(isinstance(existing, LeaveOut) for existing in logger.filters):
            logger.addFilter(LeaveOut(prefixes))
    # nbgrader/api.py adds objects to a session that no longer holds them: SQLAlchemy warns, nothing is lost.
    warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w*> not in session")
