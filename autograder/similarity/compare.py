"""Pairs of submissions whose code is similar, with the grader's own evidence.

Shapes: a class of S students with M graded modules each makes S (S - 1) / 2 pairs; each student's
modules are fingerprinted once (S x M fingerprints), and a pair compares M fingerprint sets.
"""

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import course
from ..outputs.code import CODE, FAILURES

#: copydetect's defaults: matches shorter than NOISE tokens are ignored, those of GUARANTEE tokens or more are
#: always found (the winnowing window is GUARANTEE - NOISE + 1 fingerprints).
NOISE, GUARANTEE = 25, 30
#: Similarity (the share of one side's fingerprinted tokens found in the other) from which a pair is reported.
THRESHOLD = 0.6
#: A mistake made by at most this share of the class (and at least by two) is rare.
RARE_SHARE = 0.05


class SimilarityError(RuntimeError):
    """The folder cannot be compared (not graded, no kept code)."""


@dataclass
class Side:
    """One student (or one public solution): their modules' fingerprints and their failed tests."""

    name: str
    fingerprints: dict
    failures: list = field(default_factory=list)
    public: bool = False


@dataclass
class Pair:
    """Two sides whose code is similar, and why."""

    first: str
    second: str
    #: Share of each side's fingerprinted tokens found in the other, all modules together.
    similarity: tuple
    #: ``{module path: (first's slices, second's slices)}``: where the shared code is, as character ranges.
    shared: dict
    #: The grader's evidence, sentences (empty for a public solution).
    evidence: list = field(default_factory=list)
    public: bool = False

    @property
    def score(self):
        return max(self.similarity)


def _fingerprint(path, text, boilerplate):
    from copydetect import CodeFingerprint

    return CodeFingerprint(path, NOISE, GUARANTEE - NOISE + 1, boilerplate=boilerplate, language="python",
                           fp=io.StringIO(text))


def boilerplate(release=None):
    """``{module path: fingerprint hashes}`` of the release's stubs (the code every student starts from)."""
    release = Path(release or course.release_dir())
    hashes = {}
    for relative in course.student_files():
        path = release / relative
        if path.is_file():
            hashes[relative] = list(_fingerprint(relative, path.read_text(encoding="utf-8"), None).hashes)
    return hashes


def _sides(folder, stubs, public=False):
    sides = []
    for root in sorted(p for p in Path(folder).iterdir() if p.is_dir()):
        prints = {}
        for relative in course.student_files():
            path = root / relative
            if not path.is_file() and public and (root / Path(relative).name).is_file():
                path = root / Path(relative).name  # a public solution may keep its modules at the top
            if path.is_file():
                prints[relative] = _fingerprint(relative, path.read_text(encoding="utf-8", errors="replace"),
                                                stubs.get(relative))
        failures = []
        if (root / FAILURES).is_file():
            failures = json.loads((root / FAILURES).read_text(encoding="utf-8"))
        if prints:
            sides.append(Side(root.name, prints, failures, public))
    return sides


def _compare(first, second):
    from copydetect import compare_files

    overlap, coverage, shared = [0, 0], [0, 0], {}
    for relative in first.fingerprints.keys() & second.fingerprints.keys():
        a, b = first.fingerprints[relative], second.fingerprints[relative]
        tokens, shares, slices = compare_files(a, b)
        coverage[0] += a.token_coverage
        coverage[1] += b.token_coverage
        if tokens:
            # shares are of the filtered tokens; the slices are character ranges of the unfiltered code.
            overlap[0] += float(shares[0]) * a.token_coverage
            overlap[1] += float(shares[1]) * b.token_coverage
            shared[relative] = (slices[0].T.tolist(), slices[1].T.tolist())
    similarity = tuple(min(overlap[i] / coverage[i], 1.0) if coverage[i] else 0.0 for i in range(2))
    return similarity, shared


def evidence(first, second, mistake_counts, class_size):
    """What the grader saw in both: the same wrong values on different inputs, the same rare mistakes."""
    sentences = []
    wrong_a = {f["test"]: f for f in first.failures}
    wrong_b = {f["test"]: f for f in second.failures}
    same_value = sorted(test for test in wrong_a.keys() & wrong_b.keys()
                        if wrong_a[test].get("got") and wrong_a[test]["got"] == wrong_b[test].get("got"))
    if same_value:
        sentences.append(f"the same wrong value on their different inputs in {len(same_value)} test(s): "
                         + ", ".join(same_value))
    rare_limit = max(2, int(RARE_SHARE * class_size))
    mistakes_a = {m for f in first.failures for m in f.get("mistakes", [])}
    mistakes_b = {m for f in second.failures for m in f.get("mistakes", [])}
    rare = sorted(m for m in mistakes_a & mistakes_b if mistake_counts.get(m, 0) <= rare_limit)
    if rare:
        sentences.append("the same rare mistake(s), made by at most " f"{rare_limit} of {class_size} students: "
                         + ", ".join(rare))
    same_failures = set(wrong_a) == set(wrong_b) and wrong_a and all(
        wrong_a[t].get("mistakes") == wrong_b[t].get("mistakes") for t in wrong_a)
    if same_failures:
        sentences.append(f"exactly the same {len(wrong_a)} failed test(s) with the same diagnoses")
    return sentences


def find_pairs(graded, public=None, threshold=THRESHOLD, release=None):
    """Every pair of ``graded``'s students (and of a student and a public solution) at or above ``threshold``.

    Parameters
    ----------
    graded : path
        The ``--out`` folder of ``grade`` or ``merge`` (its ``.code/`` holds each student's graded modules).
    public : path or None
        A folder of known solutions, one subfolder each (its modules in ``linear_classifier/`` or at the top).
    threshold : float
        In [0, 1]: the share of one side's code found in the other from which a pair is reported.

    Returns
    -------
    (pairs, students) : (list of Pair, int)
        Most similar first; the number of students compared.
    """
    code = Path(graded) / CODE
    if not code.is_dir():
        raise SimilarityError(f"{graded} has no {CODE}/ folder: give the --out folder of `python -m autograder "
                              "grade` or `merge` (graded by this version, which keeps each student's modules).")
    if not 0 <= threshold <= 1:
        raise SimilarityError(f"--threshold must be between 0 and 1 (a share of the code), got {threshold}.")
    stubs = boilerplate(release)
    students = _sides(code, stubs)
    known = _sides(public, stubs, public=True) if public else []
    if public and not known:
        raise SimilarityError(f"--public {public} holds no solution: one subfolder per solution, with its modules "
                              f"in {course.PACKAGE}/ or at its top.")
    counts = {}
    for side in students:
        for mistake in {m for f in side.failures for m in f.get("mistakes", [])}:
            counts[mistake] = counts.get(mistake, 0) + 1
    pairs = []
    for index, first in enumerate(students):
        for second in students[index + 1:] + known:
            similarity, shared = _compare(first, second)
            if max(similarity) >= threshold:
                found = evidence(first, second, counts, len(students)) if not second.public else []
                pairs.append(Pair(first.name, second.name, similarity, shared, found, second.public))
    pairs.sort(key=lambda pair: (-pair.score, pair.first, pair.second))
    return pairs, len(students)
