# civicgrid developer tasks.  `make help` lists the targets.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# uv: from PATH, else the `pip install --user` location.  Deliberately a
# recursive (=) variable so that it resolves again after `make install` has
# just installed uv.  Override with `make UV=/path/to/uv ...`.
UV_USER_BIN := $(HOME)/.local/bin/uv
UV = $(shell command -v uv 2>/dev/null || echo "$(UV_USER_BIN)")

# Debian packages needed by the test suite (browser tests, CJK screenshots,
# compilemessages).
CHROMIUM := /usr/bin/chromium

# Two or more workers (pytest-xdist, one per core); a module stays on one worker, so its
# test data is built once (civicgrid/testing.py).
PYTEST := $(UV) run pytest -p no:cacheprovider -n auto --dist loadscope

.PHONY: help install uv system-deps run test bench lint messages clean

help: ## List the targets
	@echo "civicgrid make targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'

uv: ## Make sure the uv binary exists (pip install --user uv if missing)
	@if ! command -v uv >/dev/null 2>&1 && [ ! -x "$(UV_USER_BIN)" ]; then \
		echo "uv not found; installing it with pip"; \
		python3 -m pip install --user uv \
			|| python3 -m pip install uv \
			|| pip install uv; \
	fi
	@command -v "$(UV)" >/dev/null 2>&1 \
		|| { echo "uv is still not found (looked on PATH and in $(UV_USER_BIN))" >&2; exit 1; }

install: uv ## Install Python dependencies (incl. dev group) from uv.lock into .venv
	$(UV) sync --frozen

system-deps: ## Install Chromium, CJK fonts and gettext with apt-get if missing (root)
	@missing=(); \
	[ -x "$(CHROMIUM)" ] || missing+=(chromium); \
	if ! command -v fc-list >/dev/null 2>&1; then \
		missing+=(fontconfig fonts-noto-cjk); \
	elif [ -z "$$(fc-list :lang=zh)" ]; then \
		missing+=(fonts-noto-cjk); \
	fi; \
	command -v msgfmt >/dev/null 2>&1 || missing+=(gettext); \
	if [ $${#missing[@]} -eq 0 ]; then \
		echo "system-deps: chromium, CJK fonts and gettext are present"; \
		exit 0; \
	fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
		echo "system-deps: missing Debian packages: $${missing[*]}" >&2; \
		echo "system-deps: run 'make system-deps' as root, or: apt-get install -y $${missing[*]}" >&2; \
		exit 1; \
	fi; \
	echo "system-deps: installing $${missing[*]}"; \
	apt-get update; \
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$${missing[@]}"

# The port `make run` serves on: `make run PORT=8080`.
PORT ?= 8000

run: install ## Migrate, load demo data and serve on http://127.0.0.1:PORT (PORT=8000 unless given)
	$(UV) run python manage.py migrate --noinput
	$(UV) run python manage.py seed_demo
	@# DEBUG off: WhiteNoise serves the hashed, compressed copies collectstatic writes into
	@# STATIC_ROOT (config/settings/local.py); DEBUG on reads the apps' folders, no copies.
	@if [ "$$($(UV) run python -c 'import os; os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local"); from django.conf import settings; print(settings.DEBUG)')" = False ]; then \
		echo "collectstatic (DEBUG is off)"; \
		$(UV) run python manage.py collectstatic --noinput --verbosity 0; \
	fi
	@echo "civicgrid on http://127.0.0.1:$(PORT)"
	$(UV) run python manage.py runserver 127.0.0.1:$(PORT)

# Every step must pass; make stops at the first failing one.  Pytest's exit
# code 5 ("no tests collected") is non-zero, so it fails the build as well.
# DJANGO_SETTINGS_MODULE is unset for pytest so that pyproject.toml's
# config.settings.test applies even if a developer exported another module.
test: install system-deps ## Lint, types, migration and deploy checks, pytest on SQLite and PostgreSQL, tiny bench
	$(UV) run ruff check .
	@echo "=== mypy (services, selectors) ==="
	$(UV) run mypy
	@echo "=== import-linter (layers: pyproject [tool.importlinter]) ==="
	$(UV) run lint-imports
	@echo "=== makemigrations --check (throwaway SQLite) ==="
	db="$$(mktemp --suffix=.sqlite3 /tmp/civicgrid-makemigrations-XXXXXX)"; \
	trap 'rm -f "$$db"' EXIT; \
	DJANGO_SETTINGS_MODULE=config.settings.local DATABASE_URL="sqlite:///$$db" \
		$(UV) run python manage.py makemigrations --check --dry-run
	@echo "=== check --deploy (production settings) ==="
	db="$$(mktemp --suffix=.sqlite3 /tmp/civicgrid-deploycheck-XXXXXX)"; \
	trap 'rm -f "$$db"' EXIT; \
	DJANGO_SETTINGS_MODULE=config.settings.production \
	SECRET_KEY="$$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" \
	FIELD_ENCRYPTION_KEYS="$$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" \
	ALLOWED_HOSTS=civicgrid.example.gov.cn \
	DATABASE_URL="sqlite:///$$db" \
		$(UV) run python manage.py check --deploy --fail-level WARNING
	@echo "=== pytest on SQLite ==="
	env -u DATABASE_URL -u DJANGO_SETTINGS_MODULE $(PYTEST)
	@echo "=== pytest on PostgreSQL ==="
	env -u DJANGO_SETTINGS_MODULE \
		$(UV) run python scripts/with_test_postgres.py -- $(PYTEST)
	@echo "=== city benchmark at a tiny size on PostgreSQL (make bench) ==="
	out="$$(mktemp --suffix=.md /tmp/civicgrid-bench-XXXXXX)"; \
	trap 'rm -f "$$out"' EXIT; \
	env -u DJANGO_SETTINGS_MODULE \
		$(UV) run python scripts/with_test_postgres.py -- \
		$(UV) run python -m bench.run --tiny --output "$$out"

# The city-scale benchmark (docs/benchmarks.md): 7,000 grids, 100,000 then 1,000,000
# cases, on PostgreSQL from TEST_DATABASE_URL, a local server or a throwaway cluster; it
# creates and drops its own database there. BENCH_ARGS=--with-5m adds 5,000,000 cases.
BENCH_ARGS ?=
bench: install ## City-scale benchmark (100k and 1M cases); writes docs/benchmarks.md
	env -u DJANGO_SETTINGS_MODULE \
		$(UV) run python scripts/with_test_postgres.py -- \
		$(UV) run python -m bench.run $(BENCH_ARGS)

lint: install ## Run ruff and mypy
	$(UV) run ruff check .
	$(UV) run mypy

messages: install ## Update the English .po file and compile all translations
	@command -v msgfmt >/dev/null 2>&1 \
		|| { echo "gettext is missing: run 'make system-deps'" >&2; exit 1; }
	$(UV) run python manage.py makemessages -l en --no-obsolete --ignore=.venv \
		--ignore=node_modules --ignore=test-output
	$(UV) run python manage.py compilemessages --ignore=.venv --ignore=node_modules

clean: ## Remove test output and caches
	rm -rf test-output/ .pytest_cache/
