# The two commands of the Quick start: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test setup system-deps lock bench clean-state

setup: $(STAMP) system-deps

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/uv --version >/dev/null 2>&1 || $(VENV)/bin/pip install -q "uv==$$(sed -n 's/^uv==//p' requirements.lock)"
	$(VENV)/bin/uv pip sync -q --compile-bytecode --python $(PY) requirements.lock
	$(VENV)/bin/uv pip install -q --python $(PY) --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

system-deps:
	@scripts/system-deps.sh

run: setup
	@scripts/run.sh

test: setup
	@scripts/test.sh $(ARGS)

bench: setup
	@scripts/bench.sh

# Re-resolve the pinned dependencies after editing pyproject.toml.
lock:
	$(VENV)/bin/uv pip compile -q pyproject.toml --extra test -o requirements.lock --python-version 3.11

clean-state:
	rm -rf var
