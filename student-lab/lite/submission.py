"""Your submission as one zip, in the layout the course's grader reads (run by ``submit.ipynb``).

The zip holds one folder, ``loss_optimization/``, with your notebooks (``01_...ipynb`` to ``05_...ipynb``, as last
saved) and every ``.py`` file of your package ``linear_classifier/``: what you hand in through your course's
site. Nothing else goes in (not the data, not this file). Stdlib only: it runs in the browser's Python.
"""

import base64
import io
import zipfile
from pathlib import Path

ASSIGNMENT = "loss_optimization"
PACKAGE = "linear_classifier"
ZIP_NAME = f"{ASSIGNMENT}.zip"


def submission_files(folder="."):
    """The files that go into the submission: ``(path in the zip, path on disk)``, sorted."""
    folder = Path(folder)
    notebooks = sorted(path for path in folder.glob("[0-9][0-9]_*.ipynb"))
    modules = sorted(path for path in (folder / PACKAGE).rglob("*.py") if "__pycache__" not in path.parts)
    if not notebooks or not modules:
        raise FileNotFoundError(f"{folder.resolve()} holds no notebooks 01-05 or no {PACKAGE}/: run this notebook "
                                "from the assignment's folder")
    return [(f"{ASSIGNMENT}/{path.relative_to(folder).as_posix()}", path) for path in notebooks + modules]


def submission_zip(folder="."):
    """The submission as the bytes of a zip, and the list of files it holds."""
    files = submission_files(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in files:
            archive.writestr(name, path.read_bytes())
    return buffer.getvalue(), [name for name, _ in files]


def offer_download(folder="."):
    """Write ``loss_optimization.zip`` beside the notebooks and show a link that downloads it."""
    from IPython.display import HTML, display

    data, names = submission_zip(folder)
    (Path(folder) / ZIP_NAME).write_bytes(data)
    link = (f'<a download="{ZIP_NAME}" href="data:application/zip;base64,{base64.b64encode(data).decode()}" '
            f'class="submission-download">Download {ZIP_NAME}</a>')
    listing = "".join(f"<li><code>{name}</code></li>" for name in names)
    display(HTML(f"<p>{link} ({len(data) / 1024:.0f} KB, {len(names)} files): upload this file where your "
                 f"course collects the assignment.</p><details><summary>What it holds</summary><ul>{listing}</ul>"
                 "</details>"))
    return names
