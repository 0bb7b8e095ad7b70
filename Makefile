# Two entry points for a fresh machine (see README): `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup tools demo test unit lint lock audit bench bench-scale bench-org bench-paper bench-custody bench-findings pictures clean

setup: $(VENV)/.installed

# Every package from requirements/test.lock, each checked against its pinned SHA-256 (pip --require-hashes),
# the build backend included; then rootkeeper itself, with nothing else fetched.
$(VENV)/.installed: pyproject.toml requirements/test.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/test.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# Regenerate the lock files after a change to pyproject.toml's dependencies (needs pip-tools).
lock:
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
		--all-build-deps --extra test --output-file requirements/test.lock pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
		--all-build-deps --extra paper --extra custody --extra findings --output-file requirements/runtime.lock pyproject.toml

# Known vulnerabilities in the locked packages (pip-audit; needs PyPI's or OSV's vulnerability service).
audit: setup
	$(BIN)/pip install --quiet pip-audit
	$(BIN)/pip-audit --require-hashes --disable-pip -r requirements/test.lock

tools:
	sh scripts/install-test-tools.sh

demo: setup
	rm -rf demo-out
	$(BIN)/rootkeeper demo --out demo-out

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/bandit -q -r src -ll

test: setup tools lint
	$(BIN)/pytest

unit: setup
	$(BIN)/pytest tests/unit

bench: setup tools
	$(BIN)/python benchmarks/bench_10k.py

bench-scale: setup tools
	$(BIN)/python benchmarks/bench_scale.py

bench-org: setup
	$(BIN)/python benchmarks/bench_org.py

bench-findings: setup tools
	$(BIN)/python benchmarks/bench_findings.py

bench-paper: setup tools
	$(BIN)/python benchmarks/bench_paper.py

bench-custody: setup tools
	$(BIN)/python benchmarks/bench_custody.py

# The README's pictures: both sheets, printed from the demo's stores, and the write-up's custody layout.
pictures: demo
	mkdir -p docs/paper
	pdftoppm -r 90 -png -singlefile demo-out/DEMO-ONLY-paper/seed-sheet.pdf docs/paper/seed-sheet
	pdftoppm -r 90 -png -singlefile demo-out/DEMO-ONLY-paper/emergency-sheet.pdf docs/paper/emergency-sheet
	mkdir -p docs/custody
	rm -f demo-out/custody-plan.toml docs/custody/write-up-layout.png
	$(BIN)/rootkeeper custody init demo-out/custody-plan.toml
	$(BIN)/rootkeeper custody diagram demo-out/custody-plan.toml -o docs/custody/write-up-layout.png

clean:
	rm -rf $(VENV) demo-out .pytest_cache .ruff_cache
