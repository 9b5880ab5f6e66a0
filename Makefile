# Every target bootstraps .venv on first use, so a fresh clone needs only `make demo` / `make test`.
# Another interpreter: `make install PYTHON=python3.12`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NEEDS := import sys; sys.exit(sys.version_info < (3, 11))
VERSION_OF = $$($(1) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo "none: no $(1)")

# A .venv made by an older Python (or left without pip by a failed install) is rebuilt, not reused.
# The editable install compiles nothing: compileall does, so the first command after an install
# starts as fast as later ones (also where PYTHONDONTWRITEBYTECODE keeps Python from caching).
VENV_OK := $(shell $(BIN)/python -c 'import pip; $(NEEDS)' 2>/dev/null && echo ok)
ifneq ($(VENV_OK),ok)
$(STAMP): FORCE
endif

.PHONY: install format lint typecheck test bench demo all clean FORCE

$(STAMP): pyproject.toml
	@$(PYTHON) -c '$(NEEDS)' 2>/dev/null || { \
	  echo "graph-batch needs Python ≥ 3.11 (found $(call VERSION_OF,$(PYTHON)))." >&2; \
	  echo "Install Python 3.11 or newer, then e.g.: make install PYTHON=python3.11" >&2; \
	  exit 1; }
	$(if $(VENV_OK),,rm -rf $(VENV))
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "Cannot create $(VENV). On Debian and Ubuntu: sudo apt install python3-venv" >&2; \
	  echo "(or python3.11-venv, matching the Python you use)." >&2; \
	  exit 1; }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q batch
	touch $(STAMP)

install: $(STAMP)

format: $(STAMP)
	$(BIN)/ruff format batch tests
	$(BIN)/ruff check --fix batch tests

lint: $(STAMP)
	$(BIN)/ruff check batch tests
	$(BIN)/ruff format --check batch tests

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m batch.bench_startup
	$(BIN)/python -m batch.bench

demo: $(STAMP)
	$(BIN)/graph-batch demo --out out/demo

all: lint typecheck test

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build dist *.egg-info
