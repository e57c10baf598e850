# `make demo` and `make test` set up whatever is missing first: a virtual environment with ndg
# installed editable (and wasm-tools, from PyPI), and a Rust toolchain that builds for wasm32.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup system toolchain demo test pictures clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# The node library ships as package data under nodes/; setuptools warns at length that its
	@# folders look like Python packages. Python warnings are off for this one command only.
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e '.[test]'
	touch $@

toolchain: $(STAMP)
	@$(BIN)/python -m ndg.compiler.toolchain >/dev/null 2>&1 || scripts/install-toolchain.sh
	@$(BIN)/python -m ndg.compiler.toolchain

system:
	@scripts/install-system-packages.sh

setup: system $(STAMP) toolchain

demo: setup
	$(BIN)/ndg run examples/basics.ndg

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The README's pictures: every example drawn by `ndg run --png`.
pictures: setup
	@mkdir -p docs/images
	@for example in examples/*.ndg; do \
		name=$$(basename $$example .ndg); \
		$(BIN)/ndg run $$example --png docs/images/$$name.png --size 640x480 --quiet || exit 1; \
		echo "docs/images/$$name.png"; \
	done

clean:
	rm -rf $(VENV) build *.egg-info
