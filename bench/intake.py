"""The intake against the worst uploads one student can build (issue 16: at most 10 s each).

Each upload sits in a Moodle download beside an honest student's; the time is the whole ``read_batch`` of that
download, in this process, best of two runs. Before issue 16 the deep zip crashed the batch (RecursionError) and
the zip of zips unpacked 600,000 files in 64-77 s.
"""

import io
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from autograder import course
from autograder.intake import archive, read_batch
from bench.timing import row

#: One member of the bytes-filling upload: under the per-member limit, inflating just under the bomb ratio.
FILLER_BYTES = min(archive.MAX_MEMBER_BYTES, archive.MAX_STUDENT_BYTES) - 2 ** 20
_notes = ""


def _zip(members, level=6):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as handle:
        for name, data in members:
            handle.writestr(name, data)
    return buffer.getvalue()


def _zip_of_zips():
    many = _zip((f"f{i}", b"") for i in range(20_000))
    return _zip((f"z{i}.zip", many) for i in range(30))


def _deep_folders():
    return _zip([("d/" * level, b"") for level in range(1, 1201)] + [("d/" * 1200 + "x.txt", b"deep")])


def _files_up_to_the_allowance():
    return _zip((f"loss_optimization/data/f{i}.txt", b"x") for i in range(archive.MAX_STUDENT_MEMBERS - 10))


def _bytes_up_to_the_allowance():
    """Members that inflate ~150 times (one random byte in 300 zeros) up to the student's allowance in bytes."""
    data = np.zeros(FILLER_BYTES, dtype=np.uint8)
    data[::300] = np.random.default_rng(0).integers(1, 256, size=data[::300].size, dtype=np.uint8)
    payload = data.tobytes()
    count = max(archive.MAX_STUDENT_BYTES // FILLER_BYTES, 1)
    return _zip(((f"filler{i}.bin", payload) for i in range(count)), level=1)


UPLOADS = {
    "a zip of 30 zips of 20,000 empty files": _zip_of_zips,
    "a zip of folders 1,200 levels deep": _deep_folders,
    f"{archive.MAX_STUDENT_MEMBERS - 10:,} files (just under the allowance)": _files_up_to_the_allowance,
    "256 MB inflating 150 times (the allowance, just under the bomb ratio)": _bytes_up_to_the_allowance,
}


def _honest_zip(root):
    from support.lms import assignment_folder, assignment_zip  # the tests' builder of an honest submission

    return assignment_zip(assignment_folder(root))


def _download(path, honest, upload):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as handle:
        handle.writestr("Ana Lopez_1001_assignsubmission_file/loss_optimization.zip", honest)
        handle.writestr("Mal Lory_1003_assignsubmission_file/upload.zip", upload)
    return path


def _intake_seconds(download, scratch, repeats=2):
    best = float("inf")
    for attempt in range(repeats):
        with tempfile.TemporaryDirectory(dir=scratch) as work:
            started = time.perf_counter()
            batch = read_batch(download, Path(work) / "intake")
            best = min(best, time.perf_counter() - started)
            students = {s.student_id: s for s in batch.submissions}
            assert (students["1001"].folder / course.PACKAGE / "losses.py").is_file()
    return best, students["1003"].notes


def run():
    global _notes
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    rows, lines = [], ["### The intake against the worst uploads (bench.intake)", ""]
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        tmp = Path(tmp)
        honest = _honest_zip(tmp / "honest")
        plain = tmp / "plain.zip"
        with zipfile.ZipFile(plain, "w") as handle:
            handle.writestr("Ana Lopez_1001_assignsubmission_file/loss_optimization.zip", honest)
            handle.writestr("Mal Lory_1003_assignsubmission_file/loss_optimization.zip", honest)
        baseline, _ = _intake_seconds(plain, tmp)
        for label, build in UPLOADS.items():
            upload = build()
            download = _download(tmp / "download.zip", honest, upload)
            seconds, notes = _intake_seconds(download, tmp)
            rows.append(row(f"intake of a download holding {label} ({len(upload) / 2 ** 20:.1f} MB), s "
                            "(baseline: two honest students)", seconds, "s", baseline, ("<=", 10.0), applies_to="value"))
            lines.append(f"- {label}: {seconds:.2f} s; the student's first note: {notes[0] if notes else '(none)'}")
            download.unlink()
    _notes = "\n".join(lines + [""])
    return rows


def notes():
    return _notes
