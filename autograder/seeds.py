"""Each student's seed: what makes one student's inputs unpredictable to others and unrepeatable by replay.

A student's inputs come from ``sha256(secret, batch seed, student id, submission digest)``:

- the course secret (``$AUTOGRADER_SECRET``) keeps anyone who reads this code from computing them;
- the digest of the graded files (:func:`submission_digest`) changes them with every change to the
  submission, so values a student saw in the feedback on one submission (the inputs and expected values of
  a failed visible test) are of no use in the next: a resubmission that returns them is graded on other
  inputs. Grading the same files again gives the same seed, so a regrade is reproducible, and
  ``seeds.csv`` records the digest to show it.

The secret lives in a file of the instructor's own (:data:`SECRET_FILE`, created by ``python -m autograder
secret``, readable by its owner only) and reaches the grader through the environment:
``export AUTOGRADER_SECRET="$(cat ~/.config/autograder/secret)"``. A variable that is set but empty (that
``cat`` of a missing file) is refused: grading on the public default by mistake is what the secret prevents.
"""

import hashlib
import os
import secrets
from pathlib import Path

SECRET_VARIABLE = "AUTOGRADER_SECRET"
DEFAULT_SECRET = "loss-optimization-public-default"
#: The digest of a submission with no graded files.
EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()
#: Where ``python -m autograder secret`` writes the course secret, the file the documentation points to.
SECRET_FILE = "~/.config/autograder/secret"
#: How to get a secret into the environment, in every message that asks for one.
HOW_TO_SET = (f'create one with `python -m autograder secret` (it writes {SECRET_FILE}), then '
              f'`export {SECRET_VARIABLE}="$(cat {SECRET_FILE})"`')


class SecretError(ValueError):
    """The course secret is unusable: set but empty, or a file that cannot be created."""


def course_secret():
    """The course secret and whether it is the public default."""
    secret = os.environ.get(SECRET_VARIABLE)
    return (secret, False) if secret else (DEFAULT_SECRET, True)


def secret_warning(environ=None):
    """What to tell the instructor on stderr about ``$AUTOGRADER_SECRET`` before grading: None when it is set.

    Raises :class:`SecretError` when it is set but empty or blank (``"$(cat missing-file)"``): grading would run on
    the public default without anyone having chosen it.
    """
    environ = os.environ if environ is None else environ
    value = environ.get(SECRET_VARIABLE)
    if value is None:
        return (f"warning: ${SECRET_VARIABLE} is not set, so every student's inputs come from a public default that "
                f"anyone who reads this code can compute: {HOW_TO_SET}.")
    if not value.strip():
        raise SecretError(f"${SECRET_VARIABLE} is set but empty (was its file missing?): {HOW_TO_SET}; or unset it "
                          "to grade on the public default.")
    return None


def create_secret(path=SECRET_FILE):
    """Write a new random course secret to ``path`` (its folder made private), readable by its owner only.

    Never replaces an existing file: the secret decides every student's inputs, and a new one changes every
    regrade. Returns the path written; raises FileExistsError when the file exists, :class:`SecretError` when it
    cannot be written.
    """
    path = Path(os.path.expanduser(str(path)))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise FileExistsError(f"{path} already exists and was kept (a new secret would change every student's "
                              "inputs: delete the file first to start one)") from None
    except OSError as error:
        raise SecretError(f"Cannot create {path}: {error.strerror}.") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(32) + "\n")
    return path


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
