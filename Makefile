# Two commands on a fresh machine: `make demo` and `make test`. Both run `make setup` first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: setup system web demo demo-zh slides test test-fast test-slow lint schema golden mutants retrain bench bench-cached clean fuzz

setup: system web $(STAMP)

system:
	@bash scripts/setup-system.sh

# reveal.js for offline slide decks, into .web/ (pinned; fetched once)
web: system
	@bash scripts/setup-web.sh

# The venv is rebuilt only when the pinned dependencies change.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

demo: setup
	$(PY) render.py storyboards/mamba.yaml --jobs $(JOBS)

demo-zh: setup
	$(PY) render.py storyboards/mamba.yaml --locale zh --jobs $(JOBS)

slides: setup
	$(PY) render.py storyboards/mamba.yaml --slides --jobs $(JOBS)

# Two workers; a scene's tests stay on one worker (memoised fast-mode runs), other files stay whole (tests/conftest.py).
PYTEST := $(PY) -m pytest -q -n $(JOBS) --dist loadscope

# mypy checks the files listed under [tool.mypy] in pyproject.toml; lint-imports the package layers
# ([tool.importlinter], docs/architecture.md)
test: setup
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports --no-cache
	$(PYTEST) -m "not slow"

# The tests that take minutes each (the lexicon read over every beat of the four lectures at lecture values)
test-slow: setup
	$(PYTEST) -m slow

test-fast: setup
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports --no-cache
	$(PYTEST) -m "not render and not slow"

# Random storyboards, narration overrides, options and storyboard paths (a FIFO, a folder, a link loop…) thrown
# at validation, as `make test` does with a few dozen of each; here FUZZ_EXAMPLES of each (a few minutes).
FUZZ_EXAMPLES ?= 2000
fuzz: setup
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider tests/pipeline/inputs/test_fuzz_validation.py

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports --no-cache

schema: setup
	$(PY) render.py --schema > storyboards/schema.json.tmp && mv storyboards/schema.json.tmp storyboards/schema.json

# Rewrite the golden frames (tests/golden/) that are missing or no longer match; review the PNGs in the diff.
GOLDEN_TESTS := tests/scenes/showcase/test_gallery.py
golden: setup
	$(PY) -m pytest -q $(GOLDEN_TESTS) --update-golden

bench: setup
	$(PY) benchmarks/render_speed.py

# The fully cached re-run of the demo storyboard (renders it at low quality first if needed).
bench-cached: setup
	$(PY) benchmarks/cached_rerun.py storyboards/mamba.yaml -q low

clean:
	rm -rf output media slides/*/ .pytest_cache

# Planted bugs (tests/mutants/*.yaml), each applied alone to a temporary copy; every one must fail a test.
mutants: setup
	$(PY) scripts/mutants.py --jobs $(JOBS)

# Retrain the three tiny models from scratch (a few minutes on one core) and check that the weights, curves
# and manifest come out byte for byte as committed (git diff fails otherwise).
retrain: setup
	$(PY) -m lib.models.train all
	$(PY) -m lib.models.runs all
	git diff --stat --exit-code -- lib/models/weights lib/models/digests.py
