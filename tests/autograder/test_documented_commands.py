"""The documents' commands name commands and options that exist: the fast half of test_documented_routes.py.

Every ``python -m autograder`` command of README.md and GRADING.md's route blocks is parsed by the CLI's own
parser, every ``nbgrader`` command names a subcommand of nbgrader's, so a renamed command or flag fails here in
seconds; ``tests/end_to_end/test_documented_routes.py`` runs them all.
"""

import shlex

import pytest

from autograder.__main__ import build_parser
from support.documents import bash_blocks, commands, section
from support.submissions import REPO

GRADING = (REPO / "autograder" / "GRADING.md").read_text(encoding="utf-8")
ROUTES = section(GRADING, "## From the LMS download to the LMS gradebook")
DOCUMENTED = [command for text in (ROUTES, section(GRADING, "### Trying the bundle on your machine"),
                                   section((REPO / "README.md").read_text(encoding="utf-8"), "## For instructors"))
              for block in bash_blocks(text) for command in block]


def simple_commands(command):
    """The simple commands of a line (split at ``&&`` and ``;``), each as its words, comments left out."""
    words = shlex.split(command, comments=True)
    found, current = [], []
    for word in words:
        if word in ("&&", ";"):
            found.append(current)
            current = []
        else:
            current.append(word)
    return [words for words in found + [current] if words]


def invocations(program):
    return [words for command in DOCUMENTED for words in simple_commands(command) if words[:len(program)] == program]


def test_route_one_is_in_the_documents():
    assert any(command.startswith("nbgrader zip_collect") for command in DOCUMENTED)
    assert invocations(["python", "-m", "autograder"])


@pytest.mark.parametrize("words", invocations(["python", "-m", "autograder"]), ids=" ".join)
def test_every_documented_autograder_command_parses(words):
    build_parser().parse_args(words[3:])


@pytest.mark.parametrize("words", invocations(["nbgrader"]), ids=" ".join)
def test_every_documented_nbgrader_command_exists(words):
    from nbgrader.apps.nbgraderapp import NbGraderApp

    assert words[1] in NbGraderApp.subcommands


def test_a_continued_line_is_one_command_and_comments_are_no_commands():
    assert commands("a \\\n  --b\n# note\n\nc  # why\n") == ["a --b", "c  # why"]
