"""Text that reaches an output: control characters removed, secrets redacted.

Everything a student's code says (exception messages, what it printed, file names in notes) ends up in
``grades.csv``, the logs and the pages. Terminal escape sequences would act on an instructor's terminal
(``cat grades.csv``), other control characters and bidirectional overrides can disguise what a page
or a table shows, and a secret a submission managed to read must not leave the grading machine.
"""

import os
import re

#: ANSI escape sequences (CSI, OSC and two-character ones): removed whole, not just their ESC.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
#: Control characters but tab and newline, DEL, C1 controls, and Unicode's bidirectional controls.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: Names of environment variables whose values count as secrets.
_SENSITIVE = re.compile(r"SECRET|PASSW|TOKEN|PGPASS|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_?KEY", re.IGNORECASE)
#: Shorter values are not redacted: they would blank out ordinary words and numbers.
MIN_SECRET_LENGTH = 6
REDACTED = "[redacted]"


def clean(text):
    """``text`` without escape sequences and control characters (tab and newline stay)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


class Redactor:
    """Cleans text and replaces every known secret in it by ``[redacted]``."""

    def __init__(self, secrets=()):
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    @classmethod
    def from_environment(cls, course_secret=None, environ=None):
        """The course secret and the values of the grader's sensitive environment variables."""
        environ = os.environ if environ is None else environ
        values = [value for name, value in environ.items() if _SENSITIVE.search(name)]
        return cls(values + ([course_secret] if course_secret else []))

    def __call__(self, text):
        text = clean(text)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text
