# rnnkit: the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_VERSION ?= 2.13.0

.PHONY: setup browser demo test lint format clean

# Create the virtual environment once; torch is installed first (the CPU build pinned here)
# when none is importable, so that pip never pulls a multi-GB CUDA build for a plain `torch`.
$(BIN)/rnnkit: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install "torch==$(TORCH_VERSION)"
	$(BIN)/python -m pip install -e ".[dev,tb,korean,seq2seq,mlflow,tune,serve,export]"
	touch $(BIN)/rnnkit

setup: $(BIN)/rnnkit

demo: setup
	$(BIN)/rnnkit demo shakespeare

# Debian's chromium for the playground's browser tests, installed when missing (as root).
browser:
	bash scripts/install_browser.sh

# Two pytest workers (pytest-xdist), a module's tests on one of them so that its shared
# runs are trained once: on 2 cores the suite takes about 6 minutes instead of 10. The
# tests marked serial (two DDP processes) then run alone.
test: setup browser
	$(BIN)/ruff check src tests benchmarks examples scripts
	$(BIN)/python -m pytest -q -n 2 --dist loadscope -m "not serial"
	$(BIN)/python -m pytest -q -m serial

lint: setup
	$(BIN)/ruff check src tests benchmarks examples scripts
	$(BIN)/ruff format --check src tests benchmarks examples scripts

format: setup
	$(BIN)/ruff format src tests benchmarks examples scripts

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
