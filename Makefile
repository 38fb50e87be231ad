# Every command a student, instructor or CI runs. Students: `make lab` (Python only). Instructors and CI:
# `make setup` then `make test` on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := bubblewrap chromium poppler-utils postgresql slurmctld slurmd slurm-client munge
# The course hub's proxy (configurable-http-proxy, from npm), pinned by autograder/deploy/jupyterhub/package-lock.json.
HUB := $(VENV)/hub
HUB_PROXY := $(HUB)/node_modules/.bin/configurable-http-proxy
HUB_NPM := autograder/deploy/jupyterhub
# The numpy of Pyodide 0.27.7 (its pyodide-lock.json), which students of the browser version run: the suite runs the
# notebooks' checks on it beside the pinned one (tests/course/test_pyodide_numpy.py), from this folder.
PYODIDE_NUMPY_VERSION := 2.0.2
PYODIDE_NUMPY := $(VENV)/pyodide-numpy

.PHONY: setup system-packages student test test-install test-fast test-browser test-slurm test-lite release check-release lab lite \
  lite-serve bench clean

setup: system-packages $(VENV)/.installed $(HUB_PROXY) $(PYODIDE_NUMPY)/.installed

# System packages, installed when missing: bubblewrap (the grading sandbox), chromium (browser tests, the written
# answers' PDFs), poppler-utils (pdftotext and pdftoppm read those PDFs back in tests),
# postgresql (the multi-grader gradebook test), slurmctld, slurmd, slurm-client and munge (the Slurm job array test,
# which starts its own single-node cluster); nodejs and npm (the hub's proxy) when there is no npm command: checked
# by command, not package, because NodeSource's nodejs ships npm and conflicts with Debian's npm package.
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  echo "installing system packages:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: requirements.txt student-lab/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	# One BLAS thread: the digits are small, and threads fighting over 2 cores made notebooks 10x slower.
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (loss_optimization)" \
	  --env OPENBLAS_NUM_THREADS 1 --env OMP_NUM_THREADS 1
	touch $@ $(VENV)/.student

$(PYODIDE_NUMPY)/.installed: $(VENV)/.installed
	$(PY) -m pip install -q --target $(PYODIDE_NUMPY) numpy==$(PYODIDE_NUMPY_VERSION)
	touch $@

# configurable-http-proxy 5.2.0 exactly as locked (npm ci); 5.3.0 needs Node 22. tests/end_to_end/test_jupyterhub.py
# starts the hub with it. It states Node >= 20 (tested with NodeSource's 20); Debian 12's own nodejs is 18, where
# npm only warns (not tried).
$(HUB_PROXY): $(HUB_NPM)/package.json $(HUB_NPM)/package-lock.json
	mkdir -p $(HUB)
	cp $(HUB_NPM)/package.json $(HUB_NPM)/package-lock.json $(HUB)/
	cd $(HUB) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# A student's environment: the Python packages of student-lab/requirements.txt in .venv, nothing of the system's
# (no root, no apt-get; any Python >= 3.11). The instructor's `make setup` installs a superset into the same .venv.
student: $(VENV)/.student

$(VENV)/.student: student-lab/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r student-lab/requirements.txt
	touch $@

# Everything but the student install (test-install): minutes of pip that would double the suite's time.
test: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2 -m "not install and not lite" tests

# A student's install as a normal user, with Python only (make student), then notebook 01 in it. CI runs it too.
test-install: setup
	$(PY) -m pytest -m install tests

# The inner loop: everything but the whole-workflow tests of tests/end_to_end/ and tests/browser/.
test-fast: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2 -m "not slow and not install and not lite" tests

test-browser: setup
	$(PY) -m pytest -m "not lite" tests/browser

# The JupyterLite site (make lite) in headless Chromium with every non-local request refused and counted.
# Then the tests of the notebooks' checks and diagnoses on Pyodide's numpy, which the site runs.
test-lite: lite
	$(PY) -m pytest -m lite tests/browser/test_lite.py
	PYTHONPATH=$(PYODIDE_NUMPY) $(PY) -c "import numpy; assert numpy.__version__ == '$(PYODIDE_NUMPY_VERSION)', numpy.__version__"
	PYTHONPATH=$(PYODIDE_NUMPY) $(PY) -m pytest -n 2 -p no:cacheprovider tests/course/test_checks_losses_gradients.py \
	  tests/course/test_checks_regularization_optim_models.py tests/autograder/test_diagnosis.py

# The Slurm job array of autograder/deploy/ on a throw-away single-node cluster (needs root, like slurmd).
test-slurm: setup
	$(PY) -m pytest tests/end_to_end/test_slurm.py

release: setup
	$(PY) -m autograder release

# Fails when assignments/ differs from what `make release` generates from solutions/.
check-release: release
	git diff --exit-code --stat -- assignments/
	@test -z "$$(git status --porcelain -- assignments/)" || { git status --porcelain -- assignments/; echo "assignments/ has files that are not committed"; exit 1; }

# A student's JupyterLab on the release (student-lab/lab.py: the course's kernel, no nbgrader instructor tools, no
# news pop-up, notes in place of widgets in saved notebooks; --allow-root as root, in containers and CI).
# LAB_FOLDER is the folder it serves; LAB_ARGS adds options as --name=value (the tests pass a port and a token).
LAB_FOLDER ?= assignments/loss_optimization
LAB_ARGS ?=
lab: student
	$(PY) student-lab/lab.py $(LAB_ARGS) "$(LAB_FOLDER)"

# The assignment as a static site that runs in the browser, offline (student-lab/lite/build.py): JupyterLite, the
# Pyodide runtime and packages, each checked against Pyodide's lock, and the release. Output: build/lite/site/,
# which any static host serves (the LMS's file area, GitLab or GitHub Pages); downloads are cached in build/lite/.
LITE_SITE := build/lite/site
LITE_PORT ?= 8000
lite: setup
	$(PY) student-lab/lite/build.py --release assignments/loss_optimization --out $(LITE_SITE)

# The site on http://127.0.0.1:$(LITE_PORT)/ (a browser opens it as it would from any static host).
lite-serve:
	@test -f $(LITE_SITE)/index.html || { echo "no site in $(LITE_SITE): run make lite first"; exit 1; }
	$(PYTHON) -m http.server --bind 127.0.0.1 --directory $(LITE_SITE) $(LITE_PORT)

bench: setup lite
	$(PY) -m bench

# Caches only. Never what students handed in or what grading made of it: submitted/, autograded/, feedback/,
# downloaded/, the gradebook, graded outputs (delete those by hand, knowing what they hold).
clean:
	rm -rf .pytest_cache
	find . -path ./.venv -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
