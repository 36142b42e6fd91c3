# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# The torch/torchvision pair that installs on the project machines (CUDA build, runs on CPU).
# GPU users: install your own torch build first; pyproject.toml only asks for torch>=2.4.
TORCH_PIN ?= torch==2.14.1 torchvision==0.29.1
STAMP := $(VENV)/.installed-stamp
DEMO_OUT ?= demo_out
# The demo's sub-visual programme (humanst.synth.expression PROGRAMMES): always mapped and summarised by the report.
DEMO_SUBVISUAL := HALLMARK_OXIDATIVE_PHOSPHORYLATION
# The positive control's programme (docs/positive-control.md): the demo base is blind to it; its ceiling is a fit on it alone.
DEMO_POSITIVE := HALLMARK_CHOLESTEROL_HOMEOSTASIS
DEMO_BASE = $(DEMO_OUT)/demo-base/vit-tiny-test-regions.safetensors

export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1

.PHONY: setup demo test test-all perf lint docs clean chromium

setup: $(STAMP)

$(VENV)/bin/python:
	@if [ "$$(id -u)" = "0" ] && ! $(PYTHON) -c "import venv, ensurepip" >/dev/null 2>&1; then \
		apt-get update -qq && apt-get install -y -qq python3-venv; fi
	$(PYTHON) -m venv $(VENV)
	@$(PIP) install -q --upgrade pip >/dev/null 2>&1 || true

# pip's full output goes to .venv/pip-install.log and is shown only when an install fails.
PIP_LOG := $(VENV)/pip-install.log

$(VENV)/.torch-stamp: | $(VENV)/bin/python
	@if ! $(PY) -c "import torch, torchvision" >/dev/null 2>&1; then \
		echo "installing $(TORCH_PIN) (log: $(PIP_LOG)) ..."; \
		$(PIP) install $(TORCH_PIN) >>$(PIP_LOG) 2>&1 || { tail -n 40 $(PIP_LOG); exit 1; }; fi
	@touch $@

$(STAMP): pyproject.toml $(VENV)/.torch-stamp
	@echo "installing humanst[dev] in editable mode (log: $(PIP_LOG)) ..."
	@$(PIP) install -e ".[dev]" >>$(PIP_LOG) 2>&1 || { tail -n 40 $(PIP_LOG); exit 1; }
	@touch $@

# The documentation site into site/, warnings as errors (mkdocs.yml). Only the `docs` extra is installed: the API
# reference reads the source without importing it, so a fresh machine gets the site without torch.
DOCS_STAMP := $(VENV)/.docs-stamp
$(DOCS_STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "installing the docs extra (log: $(PIP_LOG)) ..."
	@$(PY) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["docs"]))' >$(VENV)/docs-requirements.txt
	@$(PIP) install -r $(VENV)/docs-requirements.txt >>$(PIP_LOG) 2>&1 || { tail -n 40 $(PIP_LOG); exit 1; }
	@touch $@

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build

# The demo: atlas (humanst) -> a vit-tiny-test base pretrained on synthetic morphology (cached) -> STAMP fit of that base
# on the train patients, its negative control (aligned to matched random gene sets) and the positive control's ceiling
# (a fit on one programme alone) (stamp) -> tier 1 of the base, the aligned encoder, the control and the ceiling on the
# held-out patients, the two baselines; the synthetic slide cohort and tiers 2-3 of base and aligned; the comparison,
# the headroom recovered, the verified submissions, the leaderboard and the report (stamp-bench).
demo: setup
	$(VENV)/bin/humanst demo --out $(DEMO_OUT)
	$(VENV)/bin/stamp demo-base --out $(DEMO_BASE)
	$(VENV)/bin/stamp fit --atlas $(DEMO_OUT)/atlas --config configs/fit/demo.yaml --weights $(DEMO_BASE) --out $(DEMO_OUT)/stamp-run --resume
	$(VENV)/bin/stamp fit --atlas $(DEMO_OUT)/atlas --config configs/fit/demo.yaml --weights $(DEMO_BASE) --out $(DEMO_OUT)/stamp-control --resume \
		--set data.targets=random
	$(VENV)/bin/stamp fit --atlas $(DEMO_OUT)/atlas --config configs/fit/demo.yaml --weights $(DEMO_BASE) --out $(DEMO_OUT)/stamp-ceiling --resume \
		--set 'data.pathways=[$(DEMO_POSITIVE)]' --set loss.contrastive=none
	$(VENV)/bin/stamp verdict $(DEMO_OUT)/stamp-run --control $(DEMO_OUT)/stamp-control
	$(VENV)/bin/stamp-bench fetch-cohort synthetic-slides --out $(DEMO_OUT)/cohort
	$(VENV)/bin/stamp-bench run --atlas $(DEMO_OUT)/atlas --encoder vit-tiny-test --weights $(DEMO_BASE) --out $(DEMO_OUT)/bench/base --cache $(DEMO_OUT)/emb
	$(VENV)/bin/stamp-bench run --tiers 2,3 --cohort $(DEMO_OUT)/cohort --encoder vit-tiny-test --weights $(DEMO_BASE) --no-baselines --out $(DEMO_OUT)/bench/base --cache $(DEMO_OUT)/emb
	$(VENV)/bin/stamp-bench run --tiers 1,2,3 --atlas $(DEMO_OUT)/atlas --cohort $(DEMO_OUT)/cohort --encoder vit-tiny-test --adapter $(DEMO_OUT)/stamp-run --no-baselines --out $(DEMO_OUT)/bench/aligned --cache $(DEMO_OUT)/emb
	$(VENV)/bin/stamp-bench run --tiers 1 --atlas $(DEMO_OUT)/atlas --encoder vit-tiny-test --adapter $(DEMO_OUT)/stamp-control --no-baselines --out $(DEMO_OUT)/bench/control --cache $(DEMO_OUT)/emb
	$(VENV)/bin/stamp-bench run --tiers 1 --atlas $(DEMO_OUT)/atlas --encoder vit-tiny-test --adapter $(DEMO_OUT)/stamp-ceiling --no-baselines --out $(DEMO_OUT)/bench/ceiling --cache $(DEMO_OUT)/emb
	$(VENV)/bin/stamp-bench compare $(DEMO_OUT)/bench/base $(DEMO_OUT)/bench/control $(DEMO_OUT)/bench/aligned
	$(VENV)/bin/stamp-bench headroom $(DEMO_OUT)/bench/base $(DEMO_OUT)/bench/ceiling $(DEMO_OUT)/bench/aligned $(DEMO_OUT)/bench/control \
		--pathway $(DEMO_POSITIVE)
	@rm -rf $(DEMO_OUT)/leaderboard && mkdir -p $(DEMO_OUT)/leaderboard
	$(VENV)/bin/stamp-bench submit $(DEMO_OUT)/bench/base --leaderboard $(DEMO_OUT)/leaderboard --atlas $(DEMO_OUT)/atlas --cache $(DEMO_OUT)/emb --cohort $(DEMO_OUT)/cohort --features $(DEMO_OUT)/emb/slides
	$(VENV)/bin/stamp-bench submit $(DEMO_OUT)/bench/aligned --leaderboard $(DEMO_OUT)/leaderboard --atlas $(DEMO_OUT)/atlas --cache $(DEMO_OUT)/emb --cohort $(DEMO_OUT)/cohort --features $(DEMO_OUT)/emb/slides
	$(VENV)/bin/stamp-bench report $(DEMO_OUT)/bench/base $(DEMO_OUT)/bench/control $(DEMO_OUT)/bench/aligned --out $(DEMO_OUT)/report \
		--atlas $(DEMO_OUT)/atlas --cohort $(DEMO_OUT)/cohort --run $(DEMO_OUT)/stamp-run --pathway $(DEMO_SUBVISUAL)
	$(VENV)/bin/stamp-bench leaderboard $(DEMO_OUT)/leaderboard --html $(DEMO_OUT)/leaderboard/leaderboard.html \
		--report $(DEMO_OUT)/report

# The leaderboard test renders the HTML in headless Chromium: installed here when missing and root (CI).
CHROMIUM = $(shell command -v chromium || command -v chromium-browser)
chromium:
	@if [ -z "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = "0" ]; then echo "installing chromium (Debian) ..."; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "the leaderboard test needs headless Chromium: sudo apt-get install -y chromium"; fi; fi

test: setup chromium
	$(VENV)/bin/ruff check humanst stamp benchmarks tests
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider

test-all: setup chromium
	$(PY) -m pytest -q -p no:cacheprovider -m "slow or not slow"

perf: demo
	$(PY) -m pytest -q -p no:cacheprovider benchmarks/perf --benchmark-enable
	$(PY) -m benchmarks.perf.pathways --spots 20000 --genes 18000 --sets 50
	$(PY) -m benchmarks.perf.build
	$(PY) -m benchmarks.perf.loader --atlas $(DEMO_OUT)/atlas
	$(PY) -m benchmarks.perf.tier1
	$(PY) -m benchmarks.perf.slides

lint: setup
	$(VENV)/bin/ruff check humanst stamp benchmarks tests
	$(VENV)/bin/ruff format --check humanst stamp benchmarks tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(DEMO_OUT) .pytest_cache site
