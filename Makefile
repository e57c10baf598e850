# `make demo` and `make test` set up whatever is missing first: a virtual environment with ndg
# installed editable (and wasm-tools, from PyPI), and a Rust toolchain that builds for wasm32.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup system toolchain js web demo test spec pictures clean fuzz keep-examples

$(STAMP): pyproject.toml runtime/direct_call.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# The node library ships as package data under nodes/; setuptools warns at length that its
	@# folders look like Python packages. Python warnings are off for this one command only.
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e '.[test]'
	touch $@

toolchain: $(STAMP)
	@$(BIN)/python -m ndg.compiler.toolchain >/dev/null 2>&1 || scripts/install-toolchain.sh
	@$(BIN)/python -m ndg.compiler.toolchain

# ndg's C extension (runtime/direct_call.c) needs Python's headers: Debian's Python keeps them in
# python3-dev; a Python built from source (pyenv, python.org) has them already.
system:
	@scripts/install-system-packages.sh
	@$(PYTHON) -c "import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" \
		|| scripts/install-system-packages.sh python3-dev

# Test-only JavaScript tools (glTF validator, three.js), pinned by tests/js/package-lock.json.
JS_STAMP := tests/js/node_modules/.package-lock.json

$(JS_STAMP): tests/js/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null; }
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

js: $(JS_STAMP)

# The page of `ndg serve`: web/'s sources and three.js (web/package-lock.json) bundled by esbuild
# into ndg/web_assets/, which ships in the Python package (tests check that it is up to date).
WEB_STAMP := web/node_modules/.package-lock.json

$(WEB_STAMP): web/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web: $(WEB_STAMP)
	node web/build.mjs

setup: system $(STAMP) toolchain js web

demo: setup
	$(BIN)/ndg run examples/basics.ndg

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The ABI's constants for Python, Rust and JavaScript, generated from spec/abi.toml.
spec: $(STAMP)
	$(BIN)/python spec/generate.py
# Coverage-guided fuzzing (atheris) of every untrusted-input entry point, FUZZ_SECONDS each; new
# inputs that reach new code join fuzz/corpus/, which the test suite replays (fuzz/targets.py).
# Failing examples hypothesis found here, kept for every clone to replay (tests/conftest.py).
keep-examples:
	mkdir -p tests/hypothesis-corpus
	cp -r .hypothesis/examples/. tests/hypothesis-corpus/

FUZZ_SECONDS ?= 60
fuzz: setup
	for target in source import plan definition; do \
		$(BIN)/python fuzz/run.py $$target -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 || exit 1; \
	done

# The README's pictures: every example drawn by `ndg run --png` (with OpenGL: NDG_RENDERER=gl
# fails rather than fall back to the plainer CPU renderer), and the tree's turntable.
pictures: setup
	@mkdir -p docs/images
	@for example in examples/*.ndg; do \
		name=$$(basename $$example .ndg); \
		NDG_RENDERER=gl $(BIN)/ndg run $$example --png docs/images/$$name.png --size 640x480 --quiet || exit 1; \
		echo "docs/images/$$name.png"; \
	done
	@NDG_RENDERER=gl $(BIN)/ndg run examples/tree.ndg --png docs/images/tree-turntable.webp --turntable 24 --size 320x240 --quiet
	@echo docs/images/tree-turntable.webp

clean:
	rm -rf $(VENV) build *.egg-info
