"""Start the student's JupyterLab on the assignment: ``python student-lab/lab.py [jupyter lab options] [FOLDER]``.

The same on Linux, macOS and Windows, with the environment of
``student-lab/requirements.txt`` active (``make lab`` runs it from ``.venv``):

1. the notebooks' kernel, ``python3`` shown as "Python 3 (loss_optimization)", is
   installed into this environment when it is missing or differs (one BLAS
   thread: the digits are small, and threads fighting over a laptop's cores
   made notebooks ten times slower);
2. JupyterLab starts with this folder on the Jupyter config path (see
   ``jupyter_server_config.py``: no instructor tools, no news pop-up, notes
   in place of widgets in saved notebooks) and, as root (containers), with
   ``--allow-root``.

FOLDER defaults to the release, ``assignments/loss_optimization`` beside this folder.
"""

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_FOLDER = HERE.parent / "assignments" / "loss_optimization"
KERNEL_NAME = "python3"
#: The kernel the notebooks name in their metadata: a different display name would be written into each
#: notebook as it opens, and every notebook would open marked as changed.
KERNEL_DISPLAY_NAME = "Python 3 (loss_optimization)"
KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def kernel_is_current(prefix=sys.prefix):
    """Whether ``prefix`` holds the course's kernel spec for this interpreter."""
    spec = Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME / "kernel.json"
    try:
        current = json.loads(spec.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (current.get("display_name") == KERNEL_DISPLAY_NAME and current.get("env") == KERNEL_ENV
            and Path(current.get("argv", [""])[0]) == Path(sys.executable))


def install_kernel():
    """Install the course's kernel spec into this environment (``ipykernel install --sys-prefix``)."""
    from ipykernel.kernelspec import install

    install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME, prefix=sys.prefix, env=KERNEL_ENV)


def lab_command(arguments):
    """The command that starts JupyterLab with ``arguments``, serving DEFAULT_FOLDER unless they name a folder."""
    command = [sys.executable, "-m", "jupyterlab"]
    if hasattr(os, "getuid") and os.getuid() == 0:
        command.append("--allow-root")
    folders = [argument for argument in arguments if not argument.startswith("-")]
    return command + list(arguments) + ([] if folders else [str(DEFAULT_FOLDER)])


def main(arguments):
    if not kernel_is_current():
        install_kernel()
    config_path = os.environ.get("JUPYTER_CONFIG_PATH")
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join([str(HERE), *([config_path] if config_path else [])])
    command = lab_command(arguments)
    if os.name == "nt":
        # Windows has no exec: run JupyterLab as a child and pass on its exit code.
        import subprocess

        return subprocess.call(command)
    os.execv(command[0], command)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
