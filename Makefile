# Two commands (see README.md):
#   make book   build the book into _build/html, warnings as errors
#   make test   run every test: unit, property, nbval over book/, the strict build
# Both create the virtual environment .venv from requirements.txt on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: book test bench pins release clean

$(VENV)/.installed: requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), f"Python >= 3.11 needed, found {sys.version.split()[0]}: set PYTHON=python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

book: $(VENV)/.installed
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going

test: $(VENV)/.installed
	$(BIN)/python -m pytest

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
