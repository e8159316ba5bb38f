# Trygg: `make run` serves the demo, `make test` runs the whole suite. Both set everything up.
.PHONY: run test lint bootstrap format

PY := .venv/bin/python

bootstrap:
	@scripts/bootstrap.sh

run: bootstrap
	@scripts/run.sh

test: bootstrap
	@$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
	$(PY) -m pytest $(PYTEST_ARGS)

lint: bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: bootstrap
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .
