"""Pairs of submissions whose code is similar, with the grader's own evidence.

Shapes: a class of S students with M graded modules each makes S (S - 1) / 2 pairs; each student's
modules are fingerprinted once (S x M fingerprints), and a pair compares M fingerprint sets.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import course
from ..outputs.code import CODE, FAILURES

#: copydetect's defaults: matches shorter than NOISE characters of the filtered code (where every name is one
#: letter, so about as many tokens) are ignored, those of GUARANTEE or more are always found (the winnowing window
#: is GUARANTEE - NOISE + 1 k-grams).
NOISE, GUARANTEE = 25, 30
#: Similarity (the share of one side's fingerprinted code found in the other's: :func:`shares`) from which a pair
#: is reported.
THRESHOLD = 0.6
#: A mistake made by at most this share of the class (and at least by two) is rare.
RARE_SHARE = 0.05
#: The most similar pairs whose shared code the report shows side by side (the CSV lists every pair).
DETAILED = 50
#: Pairs sharing less than this share of the threshold of their fingerprints are not measured further.
PRESELECT = 0.5


class SimilarityError(RuntimeError):
    """The folder cannot be compared (not graded, no kept code)."""


@dataclass
class Side:
    """One student (or one public solution): their modules' fingerprints and their failed tests."""

    name: str
    fingerprints: dict
    failures: list = field(default_factory=list)
    public: bool = False

    def __post_init__(self):
        #: ``{(module, hash): [position, ...]}`` of every module's fingerprints; each module's positions are
        #: offset so that no two modules' ranges touch (a match never runs from one module into the next).
        self.positions = {}
        base = 0
        for relative, fingerprint in sorted(self.fingerprints.items()):
            for value, indexes in fingerprint.hash_idx.items():
                self.positions[(relative, value)] = [base + index for index in indexes]
            base += len(fingerprint.filtered_code) + 2 * NOISE
        self.hashes = self.positions.keys()
        self.coverage = float(sum(fingerprint.token_coverage for fingerprint in self.fingerprints.values()))


@dataclass
class Pair:
    """Two sides whose code is similar, and why."""

    first: str
    second: str
    #: Share of each side's fingerprinted code found in the other's, all modules together (:func:`shares`).
    similarity: tuple
    #: ``{module path: (first's slices, second's slices)}``: where the shared code is, as character ranges
    #: (located for the most similar pairs only: ``find_pairs(detailed=...)``).
    shared: dict
    #: The grader's evidence, sentences (empty for a public solution).
    evidence: list = field(default_factory=list)
    public: bool = False

    @property
    def score(self):
        return max(self.similarity)


@dataclass
class Fingerprint:
    """A module's winnowed fingerprints, with the attributes ``copydetect.compare_files`` reads."""

    filename: str
    raw_code: str
    filtered_code: str
    offsets: object
    hashes: set
    hash_idx: dict
    k: int
    token_coverage: int


def _stable_kgram_hashes(text, k):
    """64-bit hashes of every ``k``-character substring of ``text``, the same in every process.

    copydetect hashes k-grams with Python's ``hash()``, which changes from process to process
    (PYTHONHASHSEED): winnowing keeps the smallest hash of each window, so the pairs found, their
    shares and the marked code would change from one run to the next. BLAKE2b does not.
    """
    import numpy as np

    return np.array([int.from_bytes(hashlib.blake2b(text[i:i + k].encode("utf-8"), digest_size=8).digest(),
                                    "little", signed=True) for i in range(len(text) - k + 1)], dtype=np.int64)


def _fingerprint(path, text, boilerplate):
    """copydetect's fingerprint of ``text`` (its filter, winnowing and coverage), with stable k-gram hashes."""
    import numpy as np
    from copydetect.utils import filter_code, get_token_coverage, winnow

    filtered, offsets = filter_code(text, path, "python")
    hashes = _stable_kgram_hashes(filtered, NOISE)
    if len(hashes):
        hashes, idx = winnow(hashes, window_size=GUARANTEE - NOISE + 1, remove_duplicates=False)
    else:
        idx = np.array([], dtype=int)
    if boilerplate:
        keep = ~np.isin(hashes, np.asarray(list(boilerplate), dtype=np.int64))
        hashes, idx = hashes[keep], idx[keep]
    hash_idx = {}
    for value, index in zip(hashes.tolist(), idx.tolist()):
        hash_idx.setdefault(value, []).append(index)
    return Fingerprint(path, text, filtered, offsets, set(hash_idx), hash_idx, NOISE,
                       get_token_coverage(hash_idx, NOISE, len(filtered)))


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


def _covered(positions):
    """How many characters the k-grams starting at ``positions`` cover together (overlaps counted once)."""
    import numpy as np

    if not len(positions):
        return 0
    starts = np.unique(np.asarray(positions))
    return int(np.minimum(np.diff(starts), NOISE).sum()) + NOISE


def shares(first, second):
    """The share of each side's fingerprinted code (all modules together) that the other side has too.

    copydetect's measure (the characters of the filtered code covered by matching fingerprints, over those
    covered by all of a side's fingerprints), computed on all modules at once; a pair that shares less than
    :data:`PRESELECT` of the threshold of its fingerprints is not measured further.
    """
    common = first.hashes & second.hashes
    if not common:
        return 0.0, 0.0
    covered = [_covered([p for key in common for p in side.positions[key]]) for side in (first, second)]
    return tuple(min(count / side.coverage, 1.0) if side.coverage else 0.0
                 for count, side in zip(covered, (first, second)))


def shared_code(first, second):
    """``{module path: (first's slices, second's slices)}``: the character ranges of the code both share, found
    by copydetect's matching of the two sides' fingerprints."""
    from copydetect import compare_files

    shared = {}
    for relative in sorted(first.fingerprints.keys() & second.fingerprints.keys()):
        tokens, _, slices = compare_files(first.fingerprints[relative], second.fingerprints[relative])
        if tokens:
            shared[relative] = (slices[0].T.tolist(), slices[1].T.tolist())
    return shared


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


def find_pairs(graded, public=None, threshold=THRESHOLD, release=None, detailed=None):
    """Every pair of ``graded``'s students (and of a student and a public solution) at or above ``threshold``.

    Parameters
    ----------
    graded : path
        The ``--out`` folder of ``grade`` or ``merge`` (its ``.code/`` holds each student's graded modules).
    public : path or None
        A folder of known solutions, one subfolder each (its modules in ``linear_classifier/`` or at the top).
    threshold : float
        In [0, 1]: the share of one side's fingerprints found in the other's from which a pair is reported.
    detailed : int or None
        How many of the most similar pairs get their shared code located (:attr:`Pair.shared`), for the
        report's side-by-side view; default :data:`DETAILED`.

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
    detailed = DETAILED if detailed is None else detailed
    pairs = []
    for index, first in enumerate(students):
        for second in students[index + 1:] + known:
            common = len(first.hashes & second.hashes)
            if common < PRESELECT * threshold * min(len(first.hashes), len(second.hashes)) or not common:
                continue  # fingerprints' shares are below tokens' (insertions break k-grams), but not by half
            similarity = shares(first, second)
            if max(similarity) >= threshold and max(similarity) > 0:
                found = evidence(first, second, counts, len(students)) if not second.public else []
                pairs.append(Pair(first.name, second.name, similarity, {}, found, second.public))
    pairs.sort(key=lambda pair: (-pair.score, pair.first, pair.second))
    sides = {side.name: side for side in students + known}
    for pair in pairs[:detailed]:
        pair.shared = shared_code(sides[pair.first], sides[pair.second])
    return pairs, len(students)
