"""Turn corpus cases into student submissions, grade them, and judge the grades against each case.

A case is a folder holding ``case.toml`` (format in ``tests/corpus/README.md``): what it does to
the reference package or to the release, and what the grader must make of it. Any folder of cases
of the same kinds can be dropped in beside the project's own, or judged from the command line::

    python tests/corpus/build.py build CORPUS_DIR... --into SUBMITTED
    python -m autograder grade SUBMITTED --out OUT --jobs 2
    python tests/corpus/build.py judge CORPUS_DIR... --out OUT
"""

import argparse
import ast
import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from autograder import course

CORPUS_DIR = Path(__file__).resolve().parent
REPO = course.COURSE_ROOT
#: The interpreter running the tests (the venv's, under make test) runs every command they start.
PYTHON = Path(sys.executable)
ASSIGNMENT = course.ASSIGNMENT
PACKAGE = course.PACKAGE
REFERENCE_ASSIGNMENT = course.reference_dir()
REFERENCE_PACKAGE = REFERENCE_ASSIGNMENT / PACKAGE
RELEASE_ASSIGNMENT = course.release_dir()
KINDS = ("bug", "alternative", "cheat", "fault")
#: The graded groups of the grading contract: every test name starts with one of them.
GROUPS = course.GROUPS
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
GRADES_COLUMNS = ["student_id", "test", "score", "max_score", "status", "message"]


class CaseError(ValueError):
    """A case.toml that does not follow the corpus format."""


@dataclass
class Case:
    """One corpus case: a submission recipe and what the grader must make of it."""

    id: str
    kind: str
    folder: Path
    spec: dict
    lose: list = field(default_factory=list)
    ignore: list = field(default_factory=list)
    diagnosis: str | None = None
    status: str | None = None
    all_zero: bool = False

    @property
    def title(self):
        return self.spec.get("title", self.id)


def load_case(toml_path):
    """Read and validate one ``case.toml``."""
    toml_path = Path(toml_path)
    spec = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    case_id = spec.get("id", toml_path.parent.name)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", case_id):
        raise CaseError(f"{toml_path}: case id {case_id!r} must be lower-case letters, digits, '_' or '-'")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise CaseError(f"{toml_path}: kind must be one of {KINDS}, got {kind!r}")
    unknown = set(spec) - {"id", "kind", "title", "why", "base", "patch", "file", "symlink", "remove", "notebook_cell",
                            "expect"}
    if unknown:
        raise CaseError(f"{toml_path}: unknown keys {sorted(unknown)}")
    if spec.get("base", "reference") not in ("reference", "release"):
        raise CaseError(f"{toml_path}: base must be 'reference' or 'release'")
    expect = spec.get("expect", {})
    unknown = set(expect) - {"lose", "ignore", "diagnosis", "status", "all_zero"}
    if unknown:
        raise CaseError(f"{toml_path}: unknown [expect] keys {sorted(unknown)}")
    case = Case(
        id=case_id, kind=kind, folder=toml_path.parent, spec=spec,
        lose=list(expect.get("lose", [])), ignore=list(expect.get("ignore", [])),
        diagnosis=expect.get("diagnosis"), status=expect.get("status"), all_zero=bool(expect.get("all_zero", False)),
    )
    if kind == "bug" and not (case.lose and case.diagnosis):
        raise CaseError(f"{toml_path}: a bug must name the tests it loses (expect.lose) and a diagnosis regex")
    if kind == "alternative" and (case.lose or case.all_zero):
        raise CaseError(f"{toml_path}: an alternative correct implementation keeps full marks; it cannot lose tests")
    for pattern in (case.diagnosis, case.status):
        if pattern is not None:
            re.compile(pattern)
    return case


def load_cases(*roots, kinds=KINDS):
    """Every case under ``roots`` (searched recursively for case.toml) of the given kinds, sorted by id."""
    cases = [load_case(path) for root in roots for path in sorted(Path(root).rglob("case.toml"))]
    seen = {}
    for case in cases:
        if case.id in seen:
            raise CaseError(f"case id {case.id!r} is used by {seen[case.id]} and {case.folder}")
        seen[case.id] = case.folder
    return sorted((case for case in cases if case.kind in kinds), key=lambda case: case.id)


# ---------------------------------------------------------------------------------------------
# Building submissions
# ---------------------------------------------------------------------------------------------

def strip_markers(source):
    """A reference module as a student who completed it would hand it in: the marker lines removed."""
    return "".join(line for line in source.splitlines(keepends=True) if line.strip() not in SOLUTION_MARKERS)


def student_modules():
    """Relative paths (inside the package) of the modules students write."""
    return sorted(f"{module}.py" for module in course.STUDENT_MODULES)


def build_release_copy(dest):
    """The student release in ``dest``: the committed one, or, before it exists, one built from solutions/.

    The fallback strips the modules the same way ``python -m autograder release`` does and copies the
    data, so module grading can be tested before the notebooks are written.
    """
    dest = Path(dest)
    if (RELEASE_ASSIGNMENT / PACKAGE).is_dir():
        shutil.copytree(RELEASE_ASSIGNMENT, dest, symlinks=True)
        return dest
    from autograder.release import RELEASED_DATA, strip_module

    shutil.copytree(REFERENCE_ASSIGNMENT, dest, ignore=shutil.ignore_patterns("__pycache__", "*.ipynb"))
    for module in sorted(dest.rglob("*.py")):
        text = module.read_text(encoding="utf-8")
        if SOLUTION_MARKERS[0] in text:
            module.write_text(strip_module(text, module.relative_to(dest).as_posix()), encoding="utf-8")
    (dest / "data").mkdir(exist_ok=True)
    for name in RELEASED_DATA:
        shutil.copyfile(REPO / "data" / name, dest / "data" / name)
    return dest


def _function_span(tree, qualname):
    """(first line, last line, column) of the function or method ``qualname`` (``Class.method``)."""
    scope = tree.body
    node = None
    for part in qualname.split("."):
        node = next(
            (child for child in scope
             if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child.name == part),
            None,
        )
        if node is None:
            return None
        scope = node.body
    first = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list])
    return first, node.end_lineno, node.col_offset


#: The suite builds several batches at once, in threads (:func:`shared_record`), and CPython 3.11's AST constructor
#: keeps its recursion depth in the interpreter's state, not the thread's: two parses at once fail its check
#: ("SystemError: AST constructor recursion depth mismatch"). One parse at a time.
_PARSING = threading.Lock()


def replace_function(source, qualname, code):
    """``source`` with the definition of ``qualname`` replaced by ``code`` (a complete ``def``)."""
    with _PARSING:
        tree = ast.parse(source)
    span = _function_span(tree, qualname)
    if span is None:
        raise CaseError(f"no function {qualname!r} to replace")
    first, last, column = span
    lines = source.splitlines(keepends=True)
    replacement = textwrap.indent(textwrap.dedent(code).strip("\n") + "\n", " " * column)
    return "".join(lines[: first - 1]) + replacement + "".join(lines[last:])


def _substitute(text, context):
    for name, value in context.items():
        text = text.replace(f"@@{name}@@", str(value))
    return text


def insert_cell(path, index, source):
    """Insert a code cell at ``index`` of the notebook ``path`` (a new notebook if there is none yet)."""
    import nbformat

    notebook = nbformat.read(path, as_version=4) if path.exists() else nbformat.v4.new_notebook()
    notebook.cells.insert(index, nbformat.v4.new_code_cell(source.strip("\n")))
    nbformat.write(notebook, path)


def apply_case(case, folder, context):
    """Turn the base submission in ``folder`` into ``case``'s submission."""
    spec = case.spec
    package = folder / PACKAGE
    for patch in spec.get("patch", []):
        module = package / patch["module"]
        if patch.get("use") == "release":
            source = (Path(context["RELEASE"]) / PACKAGE / patch["module"]).read_text(encoding="utf-8")
        elif "function" in patch:
            source = replace_function(module.read_text(encoding="utf-8"), patch["function"],
                                      _substitute(patch["code"], context))
        elif "code" in patch:
            source = _substitute(patch["code"], context)
        else:
            source = module.read_text(encoding="utf-8")
        if "prepend" in patch:
            source = _substitute(textwrap.dedent(patch["prepend"]), context) + "\n" + source
        if "append" in patch:
            source = source + "\n" + _substitute(textwrap.dedent(patch["append"]), context)
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text(source, encoding="utf-8")
    for extra in spec.get("file", []):
        path = folder / extra["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        if "text" in extra:
            # head + text * repeat + tail: a large file of a regular shape without storing it.
            text = _substitute(extra["text"], context) * int(extra.get("repeat", 1))
            path.write_text(extra.get("head", "") + text + extra.get("tail", ""), encoding="utf-8")
        elif "copy" in extra:
            shutil.copyfile(case.folder / extra["copy"], path)
        elif "sparse_bytes" in extra:
            # A huge file that costs no disk space until someone copies it naively.
            with open(path, "wb") as handle:
                handle.truncate(int(extra["sparse_bytes"]))
        else:
            raise CaseError(f"{case.id}: a [[file]] needs text, copy or sparse_bytes")
    for link in spec.get("symlink", []):
        path = folder / link["path"]
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        path.symlink_to(_substitute(link["target"], context))
    for cell in spec.get("notebook_cell", []):
        insert_cell(folder / cell["path"], cell.get("index", 0), _substitute(textwrap.dedent(cell["source"]), context))
    for relative in spec.get("remove", []):
        path = folder / relative
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def build_submissions(cases, submitted, out, token, port=0, release_copy=None):
    """Write one submission per case into ``submitted/<case id>/loss_optimization/``.

    ``token`` marks every process and file a cheat creates outside its submission, and ``port`` is a
    local TCP port a cheat may try to reach, so a test can look for both. Returns ``submitted``.
    """
    submitted = Path(submitted).resolve()
    submitted.mkdir(parents=True, exist_ok=True)
    release = Path(release_copy) if release_copy else build_release_copy(submitted.parent / "release-base")
    reference = {name: strip_markers((REFERENCE_PACKAGE / name).read_text(encoding="utf-8"))
                 for name in student_modules()}
    for case in cases:
        folder = submitted / case.id / ASSIGNMENT
        shutil.copytree(release, folder, symlinks=True)
        if case.spec.get("base", "reference") == "reference":
            for name, source in reference.items():
                (folder / PACKAGE / name).write_text(source, encoding="utf-8")
        context = {
            "TOKEN": token, "REPO": REPO, "REFERENCE": REFERENCE_PACKAGE, "SUBMITTED": submitted,
            "OUT": Path(out).resolve(), "STUDENT": case.id, "HERE": folder, "PORT": port, "RELEASE": release,
        }
        apply_case(case, folder, context)
    return submitted


def tree_digest(root):
    """A digest of every path, symlink target and file content under ``root`` (symlinks not followed)."""
    digest = hashlib.sha256()
    root = Path(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            digest.update(str(path.relative_to(root)).encode())
            if path.is_symlink():
                digest.update(b"->" + os.readlink(path).encode())
            elif path.is_file():
                stat = path.stat()
                digest.update(f"{stat.st_size}:{stat.st_mode:o}".encode())
                if stat.st_blocks:  # sparse files of only holes are recognised by their size alone
                    with open(path, "rb") as handle:
                        for block in iter(lambda: handle.read(1 << 20), b""):
                            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Grading and judging
# ---------------------------------------------------------------------------------------------

def grade(submitted, out, jobs=2, timeout=None, seed=0, secrets=None, user=False):
    """Run ``python -m autograder grade`` on ``submitted``; return the CompletedProcess.

    ``secrets`` are added to the grader's environment (the course secret, a database password). With
    ``user``, the grader runs as a normal user the tests create (``tests/support/users.py``), as a grader
    started by a normal user does: its sandboxes are user namespaces.
    """
    # Cheats must never run outside bubblewrap: without it the grader refuses (exit 2) instead of
    # falling back to resource limits, under which a cheat could overwrite the reference solution.
    command = [str(PYTHON), "-m", "autograder", "grade", str(submitted), "--out", str(out), "--jobs", str(jobs),
               "--seed", str(seed), "--sandbox", "bwrap"]
    if timeout is not None:
        command += ["--timeout", str(timeout)]
    env = dict(os.environ, **(secrets or {}))
    env["PATH"] = f"{PYTHON.parent}{os.pathsep}{env.get('PATH', '')}"
    if not user:
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, errors="replace")
    from support import users

    uid, gid = users.ensure_user()
    users.open_traversal(submitted, REPO)
    users.share(submitted)
    # The grader writes its outputs beside OUT and moves them into place: the user needs OUT's folder.
    os.chown(Path(out).parent, uid, gid)
    return users.as_user(command, uid, gid, users.user_home(uid, gid, Path(out).parent), env=env, cwd=REPO,
                         capture_output=True, text=True, errors="replace")


def read_grades(out):
    """``OUT/grades.csv`` as {student_id: [row dict, ...]} with float scores."""
    rows = {}
    with open(Path(out) / "grades.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != GRADES_COLUMNS:
            raise ValueError(f"grades.csv columns are {reader.fieldnames}, the contract says {GRADES_COLUMNS}")
        for row in reader:
            row["score"] = float(row["score"])
            row["max_score"] = float(row["max_score"])
            rows.setdefault(row["student_id"], []).append(row)
    return rows


def matches(test, prefixes):
    """Whether test name ``test`` is, or lies under, one of ``prefixes`` (``losses`` covers ``losses.x.y``)."""
    return any(test == prefix or test.startswith(prefix + ".") for prefix in prefixes)


def describe(row):
    message = " ".join(row["message"].split())
    if len(message) > 160:
        message = message[:160] + "..."
    return f"{row['test']}: {row['score']:g}/{row['max_score']:g} [{row['status']}] {message}"


def judge(case, rows):
    """What is wrong with the grades ``rows`` of ``case``'s submission: a list of problems, empty if none."""
    if not rows:
        return [f"{case.id}: grades.csv has no row for this student"]
    problems = []
    for row in rows:
        if not 0 <= row["score"] <= row["max_score"]:
            problems.append(f"score outside [0, max_score]: {describe(row)}")
    if case.all_zero:
        problems += [f"should score 0 but got points: {describe(row)}" for row in rows if row["score"] > 0]
        return problems
    losing = []
    for prefix in case.lose:
        under = [row for row in rows if matches(row["test"], [prefix])]
        if not under:
            problems.append(f"no test named {prefix}[.*] in grades.csv")
            continue
        lost = [row for row in under if row["score"] < row["max_score"]]
        if not lost:
            problems.append(f"should lose points on {prefix} but kept full marks: "
                            + "; ".join(describe(row) for row in under))
        losing += lost
    if case.diagnosis and losing and not any(re.search(case.diagnosis, row["message"], re.IGNORECASE)
                                             for row in losing):
        problems.append(f"no message of the lost tests matches the diagnosis /{case.diagnosis}/: "
                        + "; ".join(describe(row) for row in losing))
    if case.status and losing and not all(re.search(case.status, row["status"], re.IGNORECASE) for row in losing):
        problems.append(f"lost tests should have a status matching /{case.status}/: "
                        + "; ".join(describe(row) for row in losing if not re.search(case.status, row["status"], re.I)))
    for row in rows:
        if not matches(row["test"], case.lose + case.ignore) and row["score"] < row["max_score"]:
            problems.append(f"should keep full marks: {describe(row)}")
    return problems


# ---------------------------------------------------------------------------------------------
# One graded batch per test session, shared by pytest-xdist workers
# ---------------------------------------------------------------------------------------------

class _Listener:
    """A TCP server on 127.0.0.1 that records whatever a submission manages to send it."""

    def __init__(self):
        import socket
        import threading

        self.received = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    self.received.append(connection.recv(4096).decode(errors="replace") or "(connected)")
                except OSError:
                    self.received.append("(connected)")

    def close(self):
        self._stop.set()
        self._thread.join()
        self._server.close()


def processes_marked(token):
    """(pid, command line) of every live process whose command line contains ``token``."""
    import psutil

    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if token in cmdline and process.pid != os.getpid():
            found.append((process.pid, cmdline))
    return found


def escape_markers(token, submitted, out):
    """Files named after ``token`` that a submission wrote outside its sandbox."""
    places = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path.home(), REPO, REFERENCE_PACKAGE]
    found = [path for place in places for path in place.glob(f"corpus-escape-{token}*")]
    found += list(Path(submitted).rglob(f"corpus-escape-{token}*")) + list(Path(out).rglob(f"corpus-escape-{token}*"))
    return sorted(str(path) for path in found)


def run_batch(cases, folder, token, jobs=2, timeout=None, seed=0, user=False):
    """Build ``cases`` into ``folder/submitted``, grade them into ``folder/out`` and watch what escapes.

    Returns a JSON-ready record: the grader's exit status, output and duration, the grades, and what a
    submission left behind: processes marked with ``token`` still alive after grading (then killed),
    marker files outside the sandbox (then removed), data received on a local port, and whether
    SUBMITTED changed.
    """
    import signal
    import time

    if user:
        from support import users

        folder = users.shared_folder(Path(folder).name)
    folder = Path(folder)
    submitted, out = folder / "submitted", folder / "out"
    # What the grader's environment holds and no output may show: a course secret, a database password.
    grader_secrets = {"AUTOGRADER_SECRET": f"course-secret-{token}", "PGPASSWORD": f"db-password-{token}"}
    listener = _Listener()
    try:
        build_submissions(cases, submitted, out, token, port=listener.port)
        before = tree_digest(submitted)
        started = time.monotonic()
        completed = grade(submitted, out, jobs=jobs, timeout=timeout, seed=seed, secrets=grader_secrets, user=user)
        duration = time.monotonic() - started
        survivors = processes_marked(token)
        submitted_changed = tree_digest(submitted) != before
    finally:
        listener.close()
    for pid, _ in survivors:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    escapes = escape_markers(token, submitted, out)
    for path in escapes:
        Path(path).unlink(missing_ok=True)
    try:
        grades = read_grades(out)
        grades_error = None
    except (OSError, ValueError) as error:
        grades, grades_error = {}, f"{type(error).__name__}: {error}"
    return {
        "returncode": completed.returncode, "stdout": completed.stdout[-4000:], "stderr": completed.stderr[-4000:],
        "duration": duration, "submitted": str(submitted), "out": str(out), "grades": grades,
        "grades_error": grades_error, "survivors": survivors, "escapes": escapes,
        "network": listener.received, "submitted_changed": submitted_changed,
        "secrets": sorted(grader_secrets.values()), "as_user": user,
    }


#: Seconds a check may take before the grader stops it (``--timeout``): ample for these small inputs on
#: a busy machine, short enough that the corpus's endless loops cost little.
BATCH_TIMEOUT = 10
#: The student graded in every batch who must keep full marks whatever the others do.
CONTROL_CASE = "reference_unchanged"


def batch_cases(name):
    """The cases of batch ``name``: ``bugs`` (with the reference as a control), ``mixed`` (the rest) or
    ``attacks`` (the cheats and faults of ``mixed``, with the control)."""
    if name == "bugs":
        return load_cases(CORPUS_DIR, kinds=("bug",)) + [
            case for case in load_cases(CORPUS_DIR, kinds=("alternative",)) if case.id == CONTROL_CASE]
    if name == "mixed":
        return load_cases(CORPUS_DIR, kinds=("alternative", "cheat", "fault"))
    if name == "attacks":
        return load_cases(CORPUS_DIR, kinds=("cheat", "fault")) + [
            case for case in load_cases(CORPUS_DIR, kinds=("alternative",)) if case.id == CONTROL_CASE]
    raise KeyError(name)


def _graded_batch(name, user=False):
    def compute(folder):
        import secrets

        return run_batch(batch_cases(name), folder, f"{name}{secrets.token_hex(6)}", jobs=2,
                         timeout=BATCH_TIMEOUT, seed=0, user=user)
    return compute


def _nbgrader_cycle(folder):
    from test_nbgrader_cycle import run_cycle

    return run_cycle(folder)


def _lms_route(folder):
    from test_lms_route import run_route

    return run_route(folder)


def _documented_routes(folder):
    from test_documented_routes import run_routes

    return run_routes(folder)


def _jupyterhub(folder):
    from test_jupyterhub import run_hub

    return run_hub(folder)


#: The expensive records of the suite: name -> (test modules that use it, function computing it in a folder).
RECORDS = {
    "corpus-bugs": ({"test_corpus_bugs"}, _graded_batch("bugs")),
    "corpus-mixed": ({"test_corpus_alternatives", "test_corpus_cheats_and_faults"}, _graded_batch("mixed")),
    # Its cheats and faults graded by a normal user's grader (user namespaces), when the tests run as root; the
    # alternatives, honest code that tries no isolation, are graded once, by the root grader.
    "corpus-mixed-as-user": ({"test_corpus_cheats_and_faults"}, _graded_batch("attacks", user=True)),
    "nbgrader-cycle": ({"test_nbgrader_cycle"}, _nbgrader_cycle),
    "lms-route": ({"test_lms_route"}, _lms_route),
    "documented-routes": ({"test_documented_routes"}, _documented_routes),
    "jupyterhub": ({"test_jupyterhub"}, _jupyterhub),
}
#: Seconds a worker waits for another one's record before giving up.
RECORD_PATIENCE = 1800
_computing = []


def _finish_computing():
    """Keep this worker alive until the records it computes are published: other workers wait for them."""
    for thread in _computing:
        thread.join()


def _compute(root, name):
    """Compute record ``name`` and publish it atomically as ``root/<name>.json`` (an error becomes the record)."""
    import json
    import traceback

    try:
        record = RECORDS[name][1](root / name)
    except AssertionError as error:  # a step failed with its own explanation
        record = {"error": str(error)}
    except BaseException:  # noqa: BLE001 (whatever went wrong, the waiting tests must hear of it)
        record = {"error": traceback.format_exc()}
    partial = root / f"{name}.json.partial"
    partial.write_text(json.dumps(record), encoding="utf-8")
    partial.rename(root / f"{name}.json")


def shared_record(name, request, tmp_path_factory):
    """Record ``name`` of :data:`RECORDS`, computed once per test session however many xdist workers ask.

    The first worker to ask for any record starts, in threads of its own, every record the session's
    tests use (they mostly wait on subprocesses, so they overlap well) and keeps running until they are
    done; every worker then waits for the JSON file of the record it needs.
    """
    import fcntl
    import json
    import threading
    import time

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    modules = {getattr(getattr(item, "module", None), "__name__", None) for item in request.session.items}
    wanted = {record for record, (users, _) in RECORDS.items() if users & modules} | {name}
    with open(root / "records.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for record in sorted(wanted):
            started = root / f"{record}.started"
            if not started.exists():
                started.write_text(str(os.getpid()), encoding="utf-8")
                thread = threading.Thread(target=_compute, args=(root, record), name=record, daemon=True)
                thread.start()
                if not _computing:
                    request.config.add_cleanup(_finish_computing)
                _computing.append(thread)
    path = root / f"{name}.json"
    deadline = time.monotonic() + RECORD_PATIENCE
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} was not computed within {RECORD_PATIENCE} s (did its worker die?)")
        time.sleep(0.5)
    record = json.loads(path.read_text(encoding="utf-8"))
    if "error" in record:
        import pytest

        pytest.fail(f"{name} could not be computed:\n{record['error']}", pytrace=False)
    return record


def _main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="write one submission per case")
    build.add_argument("corpus", nargs="+", type=Path)
    build.add_argument("--into", type=Path, required=True, help="the SUBMITTED folder to create")
    build.add_argument("--out", type=Path, default=Path("graded"), help="the OUT folder cheats may aim at")
    build.add_argument("--token", default="heldout")
    check = commands.add_parser("judge", help="judge OUT/grades.csv against each case's expectations")
    check.add_argument("corpus", nargs="+", type=Path)
    check.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    cases = load_cases(*args.corpus)
    if args.command == "build":
        build_submissions(cases, args.into, args.out, args.token)
        print(f"wrote {len(cases)} submissions to {args.into}")
        return 0
    grades = read_grades(args.out)
    failures = 0
    for case in cases:
        problems = judge(case, grades.get(case.id, []))
        failures += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {case.kind:11} {case.id}")
        for problem in problems:
            print(f"       {problem}")
    print(f"{len(cases) - failures}/{len(cases)} cases behave as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(_main())
