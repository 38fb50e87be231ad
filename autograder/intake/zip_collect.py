"""nbgrader's ``zip_collect``, reading LMS downloads as the grader does: the plugins ``nbgrader_config.py`` names.

``nbgrader zip_collect loss_optimization`` unpacks what is in ``downloaded/loss_optimization/archive/`` into
``extracted/`` (:class:`LMSExtractor`: the intake's safe unpacking, zips inside zips included), then asks
the collector, file by file, whose it is and where it goes in ``submitted/<student>/loss_optimization/``
(:class:`LMSCollector`). The collector reads the whole download once with the intake
(:func:`autograder.intake.read_batch`): the Moodle, Canvas and Blackboard naming of :mod:`.layouts`, the
roster, the newest of several copies. It hands nbgrader the chosen copy's notebooks and ``.py`` files,
placed where the assignment has them (``linear_classifier/losses.py``, even when the student uploaded
``losses.py`` alone), and logs what it did not collect and why. A student who handed in notebooks only is
collected too (his written answers are graded; ``grade`` gives his code 0 with a note saying what he handed in).
An instructor's own ``FileNameCollectorPlugin.named_regexp`` still wins: with one set, nbgrader's plain matching
is used.

The console says what matters once: nbgrader's lines per file (parsing, copying, "Skipped submission with no
match information" for every file outside a student's chosen copy, such as ``data/LICENSE``) are left out
(:mod:`autograder.nbgrader_hooks.console`); what the intake found, per student, is logged as a warning naming
the student, and nbgrader's own count of collected and skipped files ends the run.
"""

import os
import shutil
import tempfile
from pathlib import Path

from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin
from traitlets import Unicode

from . import layouts
from .archive import ArchiveError, Budget, is_zip, unpack_tree
from .batch import SubmissionsError, read_batch


class LMSExtractor(ExtractorPlugin):
    """Unpack every zip of the archive folder into a folder of its name (zips inside too); copy other files."""

    def extract(self, archive_path, extracted_path):
        budget = Budget()
        for folder, _, files in os.walk(archive_path):
            target = Path(extracted_path) / Path(folder).relative_to(archive_path)
            target.mkdir(parents=True, exist_ok=True)
            for name in sorted(files):
                source = Path(folder) / name
                if not is_zip(name):
                    shutil.copy2(source, target / name)
                    continue
                self.log.info("Unpacking %s", source)
                try:
                    problems = unpack_tree(source, target / name, budget, owners=layouts.owner_keys)
                except ArchiveError as error:
                    self.log.error("%s %s", name, error)
                    continue
                for path, reason in problems:
                    self.log.warning("%s/%s %s", name, path, reason)


class LMSCollector(FileNameCollectorPlugin):
    """Which student each extracted file is, and where it goes in their assignment folder."""

    roster = Unicode("", help="CSV file mapping the LMS's ids to the course's (see autograder/GRADING.md), "
                              "relative to the course root; empty: the LMS's ids are the students' ids").tag(config=True)

    _plan = None

    def collect(self, submitted_file):
        if self.named_regexp:
            return super().collect(submitted_file)
        if os.path.splitext(submitted_file)[1] not in self.valid_ext:
            return None
        if self._plan is None:
            self._plan = self._read_download()
        return self._plan.get(os.path.realpath(submitted_file))

    def _read_download(self):
        """``{extracted file: collect's answer}`` for the files of every student's chosen copy."""
        from ..lms.roster import RosterError, read_roster

        app = self.parent
        extracted = app._format_collect_path(app.extracted_directory)
        roster = None
        if self.roster:
            try:
                roster = read_roster(Path(app.coursedir.root) / self.roster)
            except RosterError as error:
                app.fail(str(error))
        with tempfile.TemporaryDirectory(prefix="zip-collect-") as work:
            try:
                batch = read_batch(extracted, work, roster)
            except SubmissionsError as error:
                app.fail(str(error))
            for note in batch.notes:
                self.log.warning(note)
            plan = {}
            for submission in batch.submissions:
                for note in submission.notes:
                    # The notes are the student's (they say "your"): said once, naming whose they are.
                    self.log.warning("note to %s: %s", submission.student_id, note)
                answer = {"student_id": submission.student_id}
                if submission.attempt is not None:
                    answer["timestamp"] = submission.attempt.isoformat(" ")
                # A student with notebooks only has no chosen copy: his notebooks alone are collected.
                files = submission.candidate.files() if submission.candidate is not None else submission.notebooks
                shared = set()
                for relative, path in files.items():
                    shared.add(plan.get(os.path.realpath(path), {}).get("student_id"))
                    plan[os.path.realpath(path)] = dict(answer, file_id=relative)
                for owner in sorted(shared - {None}):  # a team's submission (a roster's group_id): filed once
                    self.log.warning("%s's submission is %s's too (a team's): nbgrader's zip_collect files each file "
                                     "under one student, here %s; grade the download itself to grade every member "
                                     "(python -m autograder grade DOWNLOAD --roster ...)", owner,
                                     submission.student_id, submission.student_id)
        return plan
