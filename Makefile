# Two commands from a fresh clone: `make demo` and `make test`.
# Each creates its own virtual environment and installs what it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
DEMO_OUT ?= demo-output

.PHONY: demo test check lint format bench clean

$(VENV)/.core: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e .
	touch $@

# Tests cover the embeddings extra too. torch first, pinned: that version is a local CPU
# wheel here; an unpinned torch would pull a multi-GB CUDA build.
$(VENV)/.test: pyproject.toml $(VENV)/.core
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[test,embeddings]'
	touch $@

# dbt for the `icp dbt` test, in a virtualenv of its own: its pins (pathspec) clash with mypy's.
$(VENV)/.dbt: pyproject.toml $(VENV)/.core
	$(PYTHON) -m venv $(VENV)/dbt
	$(VENV)/dbt/bin/python -m pip --disable-pip-version-check -q install 'dbt-core>=1.10,<1.12' 'dbt-duckdb>=1.9,<1.12'
	touch $@

demo: $(VENV)/.core
	$(VENV)/bin/icp demo --out $(DEMO_OUT)

check: $(VENV)/.test
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks
	$(PY) -m mypy

test: $(VENV)/.test $(VENV)/.dbt check
	bash scripts/ensure-system-deps
	ICPKIT_DBT=$(abspath $(VENV))/dbt/bin/dbt $(PY) -m pytest -q --durations=15

format: $(VENV)/.test
	$(PY) -m ruff format src tests benchmarks
	$(PY) -m ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache
