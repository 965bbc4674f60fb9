# Blether: set up, run and test. Every target installs what it needs itself.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
MODEL   := models/blether.tar.gz
# The danger model (blether/danger.py): trained on the same examples, read by Rasa and the bridge.
DANGER  := models/danger.joblib
MODELS  := $(MODEL) $(DANGER)
# language.yml too: the tokenizer normalises the examples before the featurisers count them.
TRAINING_INPUTS := config.yml domain.yml $(shell find data -type f -name '*.yml' 2>/dev/null) \
                   $(wildcard blether/nlu/*.py) content/language.yml

export BLETHER_TRACKER_URL ?= sqlite:///var/tracker.db
export BLETHER_ACTION_PORT ?= 5055
# endpoints.yml names the default action port; a run on another port gets its own copy.
ENDPOINTS := var/endpoints.yml
export PYTHONDONTWRITEBYTECODE := 1
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
.SHELLFLAGS := -o pipefail -ec
QUIET_PIP := 2>&1 | { grep -v '^WARNING: Location' || true; }

.PHONY: help install model shell rasa-shell run bench test unit scale-test lint typecheck content-check validate stories eval pytest clean

help:
	@echo "make shell   set up, train if needed, and talk to Blether in this terminal"
	@echo "make rasa-shell  the same with Rasa's own console (rasa shell)"
	@echo "make test    set up, train if needed, and run every check"
	@echo "make unit    the fast tests only: no model, no servers"
	@echo "make run     set up, then action server + Rasa + Telegram bridge (needs TELEGRAM_BOT_TOKEN)"
	@echo "make bench   Blether beside a bare rasa init bot, the whole Telegram path, alerts"

# Install from the committed lock file into a venv built with a real Python 3.10.
$(STAMP): requirements.lock pyproject.toml scripts/find-python
	@py=$$(scripts/find-python) && echo "using $$py" && \
	  { [ -x $(BIN)/python ] || "$$py" -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23,<25" $(QUIET_PIP)
	$(BIN)/python -m pip install --quiet -r requirements.lock $(QUIET_PIP)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . $(QUIET_PIP)
	@touch $(STAMP)

install: $(STAMP)

var:
	@mkdir -p var

# Retrain only when the training inputs changed since the last model.
$(MODEL): $(STAMP) $(TRAINING_INPUTS)
	@mkdir -p models
	$(BIN)/rasa train --config config.yml --domain domain.yml --data data \
	  --out models --fixed-model-name blether --quiet
	@touch $(MODEL)

$(DANGER): $(STAMP) $(TRAINING_INPUTS) $(wildcard danger_data/*.yml)
	@mkdir -p models
	$(BIN)/blether danger train --data data/nlu danger_data --out $(DANGER)

model: $(MODELS)

# A conversation here with the real Rasa and action servers (free ports, logs in var/).
shell: $(MODELS) var
	@$(BIN)/blether chat --model $(MODEL)

# Rasa's own console, for those who want it (its buttons take the next line typed).
rasa-shell: $(MODELS) var
	@sed 's/127.0.0.1:5055/127.0.0.1:$(BLETHER_ACTION_PORT)/' endpoints.yml > $(ENDPOINTS)
	$(BIN)/blether with-actions -- $(BIN)/rasa shell --model $(MODEL) --endpoints $(ENDPOINTS) -i 127.0.0.1

run: $(MODELS) var
	scripts/run-local

bench: $(MODELS) var
	$(BIN)/python -m tests.bench_rasa
	$(BIN)/python -m tests.bench_bridge
	$(BIN)/python -m tests.bench_alerts

lint: $(STAMP)
	$(BIN)/ruff check blether actions tests
	$(BIN)/ruff format --check blether actions tests

typecheck: $(STAMP)
	$(BIN)/mypy

content-check: $(STAMP)
	$(BIN)/blether content check

validate: $(STAMP)
	$(BIN)/rasa data validate --config config.yml --domain domain.yml --data data --fail-on-warnings

pytest: $(MODELS) var
	$(BIN)/python -m pytest -q

# Two Rasa replicas, two action servers, PostgreSQL and Redis, 50 people, one replica killed
# (in make test too; this runs it alone, e.g. in a loop to look for rare failures).
scale-test: $(MODELS) var
	$(BIN)/python -m pytest -q -m scale

# The everyday loop: no model, no servers, well under a minute.
unit: $(STAMP) var
	$(BIN)/python -m pytest -q -m "not model and not integration"

stories: $(MODELS) var
	$(BIN)/rasa test core --model $(MODEL) --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out results/stories

eval: $(MODELS)
	$(BIN)/blether eval tests/nlu_eval.yml --model $(MODEL) --min-accuracy 95
	$(BIN)/blether eval --safety tests/safety_eval.yml --model $(MODEL)

test: lint typecheck content-check validate pytest stories eval
	@echo "make test: all checks passed"

clean:
	rm -rf models results var
