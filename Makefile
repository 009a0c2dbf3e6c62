# The one entry for every chore. `make install` is implied by every target that needs the venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Test worker processes (see `test`): cores + 1.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))

.DEFAULT_GOAL := help
.PHONY: help install contract upstream generate spec-diff check-generated test lint serve fuzz demo bench

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

install: $(STAMP)  ## Create .venv with this project (wrapper, generated client, server) editable, every extra and the pinned dev tools.

# One editable install: the generated client is a package of the embedkit distribution, not a distribution of its own.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	-$(BIN)/python -m pip uninstall --quiet --yes generated-client 2>/dev/null
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,parquet,server,dask,langchain,llamaindex,bench]'
	@# setuptools' editable finder runs after the path finder: with the source folders on sys.path, the checkout is what
	@# imports from anywhere (python -m pytest, a REPL, mypy's subprocesses), whatever else is installed.
	printf '%s\n' "$(CURDIR)/wrapper" "$(CURDIR)/server" "$(CURDIR)/generated_client" \
		> "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/embedkit-dev-sources.pth"
	@touch $@

contract: $(STAMP)  ## Derive openapi.yaml from contract/ (Mistral's cut + cortecs' part + overlay.yaml); never edit openapi.yaml by hand.
	$(BIN)/python tools/contract.py build

upstream: $(STAMP)  ## Re-cut a new Mistral document: make upstream SPEC=path-or-url; reports upstream and contract changes, then regenerates.
	@test -n "$(SPEC)" || { echo "usage: make upstream SPEC=path-or-url-of-Mistral's-openapi.yaml" >&2; exit 2; }
	$(BIN)/python tools/contract.py upstream "$(SPEC)"
	$(BIN)/python tools/codegen.py generate

generate: $(STAMP)  ## Show what changed since HEAD's openapi.yaml, then rebuild generated_client/ from it (never edit it by hand).
	@# The report informs, it does not stop regeneration: exit 1 (something breaks) is expected, 2 (cannot compare) is not.
	$(BIN)/python tools/spec_diff.py --base HEAD openapi.yaml || [ $$? -eq 1 ]
	$(BIN)/python tools/codegen.py generate

spec-diff: $(STAMP)  ## What changed in openapi.yaml since BASE (a git ref, default HEAD), breaking or compatible; exit 1 if breaking.
	$(BIN)/python tools/spec_diff.py --base $(or $(BASE),HEAD) openapi.yaml $(ARGS)

check-generated: $(STAMP)  ## Fail if openapi.yaml is not what contract/ makes, or generated_client/ not what the generator makes.
	$(BIN)/python tools/contract.py check
	$(BIN)/python tools/codegen.py check

test: lint  ## Lint, then the whole test suite (contract, generated client, drift check). CI runs this.
	@# Every test, slow ones included, spread over worker processes (pytest-xdist): one more than the cores, as
	@# many tests wait on a server's latency or a child process (one worker a core left a third of 2 cores idle).
	@# loadgroup keeps the tests that share an expensive module fixture (xdist_group) on one worker; slow tests
	@# start first (tests/conftest.py).
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

lint: $(STAMP)  ## ruff and mypy --strict on the handwritten code.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy wrapper server tools generated_client/embedkit_generated

serve: $(STAMP)  ## Run the reference server on 127.0.0.1:8000 (ARGS="--port 9000 --fault-rate 0.2 ..." to change).
	$(BIN)/reference-server $(ARGS)

fuzz: $(STAMP)  ## Fuzz a deployment with every check, JUnit report in reports/: make fuzz [URL=https://api.mistral.ai TOKEN=... TAG=mistral]
	FUZZ_TOKEN="$(TOKEN)" $(BIN)/python tools/fuzz.py $(if $(URL),--url "$(URL)") $(if $(TAG),--tag "$(TAG)") $(if $(EXAMPLES),--max-examples $(EXAMPLES))

demo: $(STAMP)  ## The main job: start the reference server, embed demo/corpus.jsonl through the CLI, search it, stop.
	$(BIN)/python tools/demo.py

bench: $(STAMP)  ## Benchmarks vs the naive floor and the openai/mistralai SDKs; writes docs/bench.md and docs/bench.png.
	$(BIN)/python tools/bench.py $(ARGS)
	@# Search speed (issue 21): 100k rows exact and through the index; its section goes after bench.py's report.
	$(BIN)/python tools/bench_search.py --append docs/bench.md
