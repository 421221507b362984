# frontdoor — see README.md. Every target installs or starts what it needs.
SHELL := /bin/bash
ROOT := $(abspath .)
RDKAFKA_PREFIX := $(ROOT)/.local/rdkafka
export PKG_CONFIG_PATH := $(RDKAFKA_PREFIX)/lib/pkgconfig
# The binary finds the project-local librdkafka 2.8.0 by itself through an rpath, never
# bookworm's 2.0.2 that kcat may have pulled in.
SWIFT_LINK := -Xlinker -rpath -Xlinker $(RDKAFKA_PREFIX)/lib
SWIFT_BUILD_ARGS ?=
STACK_ENV = $(shell scripts/stack.sh env)
BIN = .build/debug/frontdoor

.PHONY: setup up down reset build release test unit run bench faults clean-state

setup:
	@scripts/setup.sh

up: setup
	@scripts/stack.sh up

down:
	@scripts/stack.sh down

reset:
	@scripts/stack.sh reset

build: setup
	@swift build $(SWIFT_LINK) $(SWIFT_BUILD_ARGS)

release: setup
	@swift build -c release $(SWIFT_LINK) $(SWIFT_BUILD_ARGS)

# Unit and integration tests against the real broker and database, then the short soak of
# scripts/faults.py (~50,000 events, a few faults); the stack is stopped afterwards and the
# exit status is non-zero when either failed.
test: setup
	@scripts/test.sh $(SWIFT_LINK) $(SWIFT_BUILD_ARGS)

# Pure domain tests only: no broker, no database.
unit:
	@swift test --filter FrontDoorDomainTests $(SWIFT_BUILD_ARGS)

run: up build
	@scripts/run.sh

# Benchmarks print figures (never pass/fail): Kafka produce and batch-consume rates for 1M
# 200-byte messages, then the outcomes report on a generated year (BENCH_REPORT_ARGS, default a
# Kent-sized 230,000 pupils over 40 school days; `--days 190` for a full year, ~16 min to load).
BENCH_REPORT_ARGS ?= --days 40
bench: up release
	@env $(STACK_ENV) .build/release/frontdoor bench kafka
	@env $(STACK_ENV) .build/release/frontdoor bench report $(BENCH_REPORT_ARGS)

# The soak of issue 8 (scripts/faults.py, docs/operations.md "make faults"): over 1,000,000 events
# through the real workers while it SIGKILLs and restarts them, restarts PostgreSQL and scales the
# attendance worker 1 -> 3 -> 1, then checks everything against its own oracle and prints one
# table. Non-zero exit on any discrepancy. FAULTS_ARGS e.g. `--profile short`, `--seed 3`.
FAULTS_ARGS ?=
faults: up build
	@env $(STACK_ENV) FRONTDOOR_BIN=$(ROOT)/$(BIN) .local/venv/bin/python scripts/faults.py --profile full $(FAULTS_ARGS)
