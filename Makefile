# The course in two commands: `make lab` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
OUT ?= grade-out

.PHONY: setup lab test test-portable execute grade bench book clean

setup:  ## create or reuse .venv (keyed by a hash of requirements.txt)
	@scripts/bootstrap.sh

lab: setup  ## start JupyterLab on 127.0.0.1, opened on the first notebook (INSTRUCTOR=1: nbgrader menus)
	@$(PY) -m ragfirst.runtime.lab $(if $(INSTRUCTOR),--instructor)

test: setup  ## unit tests + nbval over notebooks/ and solutions/
	@$(PY) -m pytest

test-portable: setup  ## the model-dependent tests and notebooks under each CPU profile; spread in reports/portable.md
	@$(PY) scripts/test_portable.py

execute: setup  ## re-run notebooks in place (NB="notebooks/02_rag_pipeline.ipynb" for one)
	@$(PY) scripts/execute_notebooks.py $(NB)

grade: setup  ## make grade ASSIGNMENT=<name> SUBMISSIONS=<dir> [OUT=grade-out]
	@if [ -z "$(ASSIGNMENT)" ] || [ -z "$(SUBMISSIONS)" ]; then \
	  echo "usage: make grade ASSIGNMENT=<name> SUBMISSIONS=<dir> [OUT=<dir>]"; exit 2; fi
	@$(PY) -m ragfirst.cli grade "$(ASSIGNMENT)" "$(SUBMISSIONS)" --out "$(OUT)"

bench: setup  ## run every benchmark and write its report under reports/
	@for script in benchmarks/*_bench.py; do echo "== $$script"; $(PY) "$$script" || exit 1; done

book: setup  ## the course as a static HTML site in _build/html (stored outputs; fresh build, warnings are errors)
	@$(PY) -m sphinx -b html -c book -E -W --keep-going -q . _build/html
	@echo "book: open _build/html/index.html"

clean:  ## remove derived files (the venv stays)
	rm -rf .cache reports .pytest_cache _build
