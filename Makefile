# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install lint bench messages openapi clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/civicport demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/civicport makemigrations --check --dry-run
	$(BIN)/pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/run.py

# The platform's catalogue lives in civicport/locale; each later app keeps its own in
# civicport/<app>/locale (Django merges them), so apps can be translated independently.
APPS_WITH_LOCALE := feedback datahub tourism ioc
messages: $(STAMP)
	cd civicport && ../$(BIN)/civicport makemessages -l vi --no-obsolete --ignore "tests/*" \
		$(foreach app,$(APPS_WITH_LOCALE),--ignore "$(app)/*")
	for app in $(APPS_WITH_LOCALE); do \
		(cd civicport/$$app && mkdir -p locale && ../../$(BIN)/civicport makemessages -l vi --no-obsolete --ignore "tests/*") || exit 1; \
	done
	$(BIN)/civicport compilemessages -l vi

openapi: $(STAMP)
	$(BIN)/civicport openapi --output docs/openapi-v1.json

clean:
	rm -rf $(VENV) var build *.egg-info
