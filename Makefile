# Both targets do their own set-up on a fresh machine (scripts/bootstrap.sh is idempotent).
VENV := .venv/bin

.PHONY: setup test lint demo bench clean

setup:
	@scripts/bootstrap.sh

lint: setup
	$(VENV)/ruff check src tests bench
	$(VENV)/ruff format --check src tests bench
	$(VENV)/mypy --strict src

test: lint
	$(VENV)/pytest

demo: setup
	$(VENV)/dynaform local start
	$(VENV)/dynaform --local status
	@echo "The local engine keeps running: stop it with '$(VENV)/dynaform local stop'."

bench: setup
	$(VENV)/python bench/run.py

clean:
	-$(VENV)/dynaform local stop
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
