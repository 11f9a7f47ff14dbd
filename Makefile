# Both targets do their own set-up on a fresh machine (scripts/bootstrap.sh is idempotent).
VENV := .venv/bin

.PHONY: setup test lint demo bench clean

setup:
	@scripts/bootstrap.sh

lint: setup
	$(VENV)/ruff check src tests bench examples
	$(VENV)/ruff format --check src tests bench examples
	$(VENV)/mypy --strict src

test: lint
	$(VENV)/pytest

# The demo engine runs from the repository root; the examples point at it through the standard
# AWS_ENDPOINT_URL variable (it outranks their `target: local`).
DEMO_ENV := AWS_ENDPOINT_URL=http://localhost:$${DYNAFORM_LOCAL_PORT:-8000}
CAL := -f examples/calendar/dynaform.yaml

demo: setup
	$(VENV)/dynaform local start
	$(DEMO_ENV) $(VENV)/dynaform $(CAL) plan
	$(DEMO_ENV) $(VENV)/dynaform $(CAL) apply --yes
	$(DEMO_ENV) $(VENV)/dynaform $(CAL) plan --detailed-exitcode
	$(DEMO_ENV) $(VENV)/dynaform $(CAL) seed --generator calendar --count 200 --seed 1 \
	  --calendar-id 0f8fad5b-d9cb-469f-a165-70867728950e --clear --yes
	for example in expenses vishmaker items; do \
	  $(DEMO_ENV) $(VENV)/dynaform -f examples/$$example/dynaform.yaml apply --yes > /dev/null || exit 1; \
	done
	$(VENV)/python examples/calendar/entities.py --endpoint-url http://localhost:$${DYNAFORM_LOCAL_PORT:-8000}
	$(VENV)/dynaform --local status
	@echo "The local engine keeps running: stop it with '$(VENV)/dynaform local stop'."

bench: setup
	$(VENV)/python -m pip install --quiet -e '.[dev,bench]'
	$(VENV)/python bench/startup.py
	$(VENV)/python bench/run.py
	$(VENV)/python bench/data_bench.py
	$(VENV)/python bench/entities_bench.py
	$(VENV)/python bench/agenda_bench.py
	$(VENV)/python bench/ui_bench.py
	$(VENV)/python bench/migrate_bench.py

clean:
	-$(VENV)/dynaform local stop
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
