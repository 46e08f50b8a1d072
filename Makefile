# Two commands (see README.md):
#   make book   build the book into _build/html, warnings as errors
#   make test   run every test: unit, property, nbval over book/ (natively and under a reduced
#               instruction set), the strict build and the browser test, lib's tests again in float32
#               (make test-lib, make test-book: one of its two streams)
# Both create the virtual environment .venv from requirements.txt, and node_modules/ (MathJax 3,
# which the built pages serve themselves) from package-lock.json, on first use.
# The browser test (tests/test_site.py) also needs Chromium: apt-get update && apt-get install -y chromium

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: book test test-lib test-book bench pins release clean

$(VENV)/.installed: requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), f"Python >= 3.11 needed, found {sys.version.split()[0]}: set PYTHON=python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

book: $(VENV)/.installed node_modules/.installed
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going

# Four passes, run as two streams side by side (two processes use the two cores of a laptop or
# of CI better than one: the streams' wall time is about 0.7 times their sum). Each line of
# output carries its stream's name.
#   [lib]  1. lib's tests in float64, the strict build, the browser test and the nbgrader course;
#          then 3. lib's tests again with x64 off (float32, JAX's default), as a student who never
#          enables x64 (not the scripts' and benchmarks' smoke runs: they enable x64 themselves);
#   [book] 2. nbval over book/ on this CPU; then 4. nbval again under a reduced instruction set:
#          XLA's kernels, and so the round-off, change as on another CPU, so an output that is not
#          portable fails here (CONTRIBUTING.md); cells tagged native-only (explorers, widgets: no
#          output to compare) run in pass 2 only.
SHELL := /bin/bash
STREAM = 2>&1 | sed -u 's/^/[$(1)] /'

test: $(VENV)/.installed node_modules/.installed
	$(MAKE) --no-print-directory -j2 test-lib test-book

test-lib: $(VENV)/.installed node_modules/.installed
	set -o pipefail; { $(BIN)/python -m pytest tests \
		&& LIB_X64=0 $(BIN)/python -m pytest tests -m "not build and not assignments" \
			-o addopts="-ra --strict-markers" --ignore=tests/test_benchmarks.py --ignore=tests/test_scripts.py; \
		} $(call STREAM,lib)

test-book: $(VENV)/.installed
	set -o pipefail; { $(BIN)/python -m pytest book \
		&& XLA_FLAGS=--xla_cpu_max_isa=SSE4_2 BOOK_PORTABILITY_PASS=1 $(BIN)/python -m pytest book; \
		} $(call STREAM,book)

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/calibrate.py
	$(BIN)/python benchmarks/ntk_closed_form.py
	$(BIN)/python benchmarks/trust_region.py
	$(BIN)/python benchmarks/implicit_solvers.py

# Regenerate the student versions of the assignments (assignments/release/, committed and linked
# from book/teaching.md) from their sources; tests/test_assignments.py checks they are in sync.
release: $(VENV)/.installed
	cd assignments && db=$$(mktemp -d) && PATH="$(abspath $(BIN)):$$PATH" $(abspath $(BIN))/python -m nbgrader \
		generate_assignment "ch*" --force --CourseDirectory.db_url=sqlite:///$$db/gradebook.db && rm -rf $$db

# Regenerate the exact pins from requirements.in: the newest releases that work together.
pins:
	$(PYTHON) -m venv .venv-pins
	.venv-pins/bin/python -m pip install --quiet pip-tools==7.6.2
	.venv-pins/bin/pip-compile --quiet --upgrade --strip-extras --no-annotate --no-emit-index-url \
		--no-emit-find-links --output-file requirements.txt requirements.in

clean:
	rm -rf _build
