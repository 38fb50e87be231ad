"""Combine the outputs of every shard of one batch into one: ``python -m autograder merge SHARD_OUT... --out OUT``.

Each shard's ``results.jsonl`` holds its students' results in full, so the merged batch is written by the
same writers as one ``grade`` run (:func:`autograder.outputs.write_all`) and its files are the same, byte for
byte, but for the summary's note that says it was merged. ``merge`` refuses, writing nothing, folders that are
not all the shards of one batch graded the same way (see :mod:`autograder.grading.shard`).
"""

import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..outputs.staging import OutputError, stage
from ..results import RECORDS, BatchResult, read_records
from .publish import write_outputs
from .shard import MANIFEST, MANIFEST_FORMAT, SETTINGS, Shard

_MANIFEST_KEYS = ("shard", "settings", "batch", "submitted", "sandbox", "sandbox_warning", "default_secret", "students")
_SHOWN = 5


class MergeError(RuntimeError):
    """The shards' outputs cannot be combined into one batch."""


@dataclass
class _Part:
    folder: Path
    manifest: dict

    @property
    def shard(self):
        return Shard(self.manifest["shard"]["index"], self.manifest["shard"]["count"])

    @property
    def label(self):
        return str(self.folder)


def merge(folders, out, gradebook="auto", stderr=None, force=False):
    """Combine the outputs of every shard of one batch into ``out``, as if the batch had been graded in one run.

    Parameters
    ----------
    folders : list of path
        The ``--out`` folders of ``grade --shard 0/N`` ... ``grade --shard N-1/N``, in any order.
    out : path
        Where to write ``grades.csv``, ``seeds.csv``, the student folders, ``.logs/`` and ``summary.html``.
    gradebook : str or None
        nbgrader gradebook URL to write the scores into; ``"auto"``: the gradebook of the course whose
        ``submitted/`` folder the shards graded, if it has one (see
        :func:`autograder.gradebook.default_gradebook_url`); None or ``"none"``: do not write.
    force : bool
        Replace an earlier output folder at ``out`` whole (without it, an ``out`` that holds files is refused).

    Returns
    -------
    BatchResult

    Raises
    ------
    MergeError
        When the folders are not all the shards of one batch graded the same way; nothing is written then.
    """
    stderr = stderr or sys.stderr
    if not folders:
        raise MergeError("No shard folders given: pass the --out folders of every `grade --shard I/N` run.")
    out = Path(out).resolve()
    parts = [_load(Path(folder)) for folder in folders]
    _check_out(out, parts)
    _check_complete(parts)
    _check_settings(parts)
    _check_batch(parts)
    students = _read_students(parts)
    first = parts[0].manifest
    settings = first["settings"]
    sandbox, warning = _sandboxes(parts)
    result = BatchResult(students, out, sandbox, warning, settings["seed"], first["default_secret"],
                         limits=settings["limits"], secret_fingerprint=settings["secret"],
                         batch_students=tuple(first["batch"]), submitted=Path(first["submitted"]),
                         intake_notes=list(first.get("intake_notes", [])))
    result.shard_note = (f"Merged from {len(parts)} shards of a batch of {len(first['batch'])} submissions "
                         "(python -m autograder merge).")
    if gradebook == "auto":
        from ..nbgrader_hooks.gradebook import GradebookConfigError, default_gradebook_url

        try:
            gradebook = default_gradebook_url(result.submitted)
        except GradebookConfigError as error:
            raise MergeError(str(error)) from None
    try:
        staging = stage(out, force, protected=[result.submitted] + [part.folder for part in parts])
    except OutputError as error:
        raise MergeError(str(error)) from None
    try:
        write_outputs(result, staging, gradebook if gradebook != "none" else None, stderr)
    except BaseException:
        staging.discard()
        raise
    return result


def _load(folder):
    if not folder.is_dir():
        raise MergeError(f"{folder} is not a folder: give the --out folder of every `grade --shard I/N` run.")
    path = folder / MANIFEST
    if not path.is_file():
        raise MergeError(f"{folder} has no {MANIFEST}: it is not the finished output of `python -m autograder grade "
                         "--shard I/N` (a shard that did not finish writes none). Grade that shard again.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MergeError(f"{path} cannot be read ({error}): grade that shard again.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise MergeError(f"{path} was written by another version of the autograder (format "
                         f"{manifest.get('format') if isinstance(manifest, dict) else '?'}, this one reads "
                         f"{MANIFEST_FORMAT}): grade every shard with the same version.")
    missing = [key for key in _MANIFEST_KEYS if key not in manifest]
    if "settings" in manifest and not isinstance(manifest["settings"].get("limits"), dict):
        missing.append("the sandbox's limits (settings.limits)")
    if missing:
        raise MergeError(f"{path} lacks {', '.join(missing)}: it was changed after grading. Grade that shard again.")
    return _Part(folder.resolve(), manifest)


def _check_out(out, parts):
    for part in parts:
        if out == part.folder or part.folder in out.parents:
            raise MergeError(f"--out {out} is inside the shard folder {part.folder}: choose a folder of its own.")
    submitted = Path(parts[0].manifest["submitted"])
    if out == submitted or submitted in out.parents:
        raise MergeError(f"--out {out} is inside the graded submissions {submitted}: nothing under them may be "
                         "written; choose an output folder elsewhere.")


def _check_complete(parts):
    """Every shard 0..N-1 of one N-way split, each once."""
    counts = defaultdict(list)
    for part in parts:
        counts[part.shard.count].append(part)
    if len(counts) > 1:
        splits = "; ".join(f"{', '.join(p.label for p in group)} split it into {count}"
                           for count, group in sorted(counts.items()))
        raise MergeError(f"The folders come from different splits of the batch ({splits}): merge the outputs of "
                         "one split, graded with the same N in --shard I/N.")
    count = parts[0].shard.count
    by_index = defaultdict(list)
    for part in parts:
        by_index[part.shard.index].append(part)
    twice = {index: group for index, group in by_index.items() if len(group) > 1}
    if twice:
        index, group = min(twice.items())
        raise MergeError(f"Shard {index}/{count} is given more than once ({', '.join(p.label for p in group)}): "
                         "each shard must be merged exactly once.")
    missing = [index for index in range(count) if index not in by_index]
    if missing:
        got = ", ".join(f"{p.shard} ({p.label})" for p in sorted(parts, key=lambda p: p.shard.index))
        listed = ", ".join(f"{index}/{count}" for index in missing)
        raise MergeError(f"Shard{'s' if len(missing) > 1 else ''} {listed} missing: merge needs all {count} shards of "
                         f"the batch and got {got}. Grade the missing shard{'s' if len(missing) > 1 else ''} "
                         f"(--shard {missing[0]}/{count}{' ...' if len(missing) > 1 else ''}; a shard that did not "
                         "finish has no shard.json), then merge again.")


def _check_settings(parts):
    problems = []
    for key, what in SETTINGS.items():
        if key == "limits":
            # Compared limit by limit, so that the message names the one that differs, not the whole record.
            names = sorted({name for part in parts for name in part.manifest["settings"]["limits"]})
            for name in names:
                problems += _differences(parts, f"limits.{name}", what,
                                         lambda settings, name=name: settings["limits"].get(name))
        else:
            problems += _differences(parts, key, what, lambda settings, key=key: settings.get(key))
    if problems:
        raise MergeError("The shards were graded differently, so their grades cannot be combined:\n  "
                         + "\n  ".join(problems)
                         + "\nGrade the shards that differ from the others again, with the same options and code as "
                           "the others, then merge again.")


def _differences(parts, name, what, value_of):
    """``[problem]`` when ``value_of(settings)`` differs between the shards (each value with its shards), else []."""
    values = defaultdict(list)
    for part in parts:
        value = value_of(part.manifest["settings"])
        values[value if isinstance(value, str) else json.dumps(value)].append(part.label)
    if len(values) == 1:
        return []
    return [f"{name} ({what}): " + "; ".join(f"{value} in {', '.join(labels)}" for value, labels in values.items())]


def _check_batch(parts):
    reference = parts[0]
    batch = reference.manifest["batch"]
    for part in parts[1:]:
        other = part.manifest["batch"]
        if other != batch:
            only_first = sorted(set(batch) - set(other))
            only_other = sorted(set(other) - set(batch))
            raise MergeError(
                f"The shards saw different batches, so some students would be graded twice or not at all: "
                f"{reference.label} saw {len(batch)} submissions, {part.label} saw {len(other)} "
                f"(only in the first: {_some(only_first)}; only in the second: {_some(only_other)}). Did SUBMITTED "
                "change while the shards ran? Grade every shard again from the same SUBMITTED.")
    owner = {}
    for part in parts:
        for student in part.manifest["students"]:
            if student in owner:
                raise MergeError(f"Student {student} was graded by two shards, {owner[student].label} and "
                                 f"{part.label}: each student must be in exactly one shard.")
            owner[student] = part
    ungraded = [student for student in batch if student not in owner]
    extra = [student for student in owner if student not in set(batch)]
    if ungraded or extra:
        raise MergeError(f"The shards do not cover their batch exactly (graded by no shard: {_some(ungraded)}; "
                         f"graded but not in the batch: {_some(extra)}): grade every shard again.")


def _some(ids):
    if not ids:
        return "none"
    shown = ", ".join(ids[:_SHOWN])
    return shown + (f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else "")


def _read_students(parts):
    """Every student's result, from each shard's ``results.jsonl``, sorted by student id."""
    students = []
    for part in parts:
        path = part.folder / RECORDS
        try:
            records = read_records(path)
        except OSError as error:
            raise MergeError(f"{path} cannot be read ({error.strerror or error}): grade that shard again.") from None
        except (ValueError, KeyError, TypeError) as error:
            raise MergeError(f"{path} has a malformed record ({type(error).__name__}: {error}): the folder changed "
                             "after grading. Grade that shard again.") from None
        if [s.student_id for s in records] != list(part.manifest["students"]):
            raise MergeError(f"{path} does not hold the students its {MANIFEST} names: the folder changed after "
                             "grading. Grade that shard again.")
        students += records
    students.sort(key=lambda student: student.student_id)
    return students


def _sandboxes(parts):
    """The summary's sandbox line and warning: one when every shard agrees, else per shard."""
    modes, warnings = defaultdict(list), defaultdict(list)
    for part in parts:
        modes[part.manifest["sandbox"]].append(str(part.shard))
        if part.manifest["sandbox_warning"]:
            warnings[part.manifest["sandbox_warning"]].append(str(part.shard))
    if len(modes) == 1:
        sandbox = next(iter(modes))
    else:
        sandbox = "; ".join(f"{mode} in shards {', '.join(shards)}" for mode, shards in modes.items())
    shown = []
    for warning, shards in warnings.items():
        shown.append(warning if len(shards) == len(parts) else f"Shards {', '.join(shards)}: {warning}")
    return sandbox, " ".join(shown)
