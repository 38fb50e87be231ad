"""Each student's seed: what makes one student's inputs unpredictable to others and unrepeatable by replay.

A student's inputs come from ``sha256(secret, batch seed, student id, submission digest)``:

- the course secret (``$AUTOGRADER_SECRET``) keeps anyone who reads this code from computing them;
- the digest of the graded files (:func:`submission_digest`) changes them with every change to the
  submission, so values a student saw in the feedback on one submission (the inputs and expected values of
  a failed visible test) are of no use in the next: a resubmission that returns them is graded on other
  inputs. Grading the same files again gives the same seed, so a regrade is reproducible, and
  ``seeds.csv`` records the digest to show it.
"""

import hashlib
import os
from pathlib import Path

SECRET_VARIABLE = "AUTOGRADER_SECRET"
DEFAULT_SECRET = "loss-optimization-public-default"
#: The digest of a submission with no graded files.
EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()


def course_secret():
    """The course secret and whether it is the public default."""
    secret = os.environ.get(SECRET_VARIABLE)
    return (secret, False) if secret else (DEFAULT_SECRET, True)


def submission_digest(package_dir):
    """A digest of every file under ``package_dir`` (the scratch copy that is graded), names and bytes."""
    digest = hashlib.sha256()
    root = Path(package_dir)
    if not root.is_dir():
        return EMPTY_DIGEST
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        name = path.relative_to(root).as_posix().encode()
        data = path.read_bytes()
        digest.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def student_seed(student_id, seed=0, secret=None, digest=EMPTY_DIGEST):
    """The seed of a student's inputs: a hash of the course secret, the batch seed, the id and the submission."""
    secret = secret if secret is not None else course_secret()[0]
    value = hashlib.sha256(f"{secret}\0{seed}\0{student_id}\0{digest}".encode()).digest()
    return int.from_bytes(value[:8], "big") % 2 ** 63


def secret_fingerprint(secret):
    """A short digest that tells two course secrets apart without revealing either.

    It gives away no more than ``seeds.csv`` already does: both are hashes of the secret.
    """
    return hashlib.sha256(f"autograder secret fingerprint\0{secret}".encode()).hexdigest()[:16]
