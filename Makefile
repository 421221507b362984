# frontdoor — see README.md. Every target installs or starts what it needs.
SHELL := /bin/bash
ROOT := $(abspath .)
RDKAFKA_PREFIX := $(ROOT)/.local/rdkafka
export PKG_CONFIG_PATH := $(RDKAFKA_PREFIX)/lib/pkgconfig
# The binary finds the project-local librdkafka 2.8.0 by itself through an rpath, never
# bookworm's 2.0.2 that kcat may have pulled in.
SWIFT_LINK := -Xlinker -rpath -Xlinker $(RDKAFKA_PREFIX)/lib
# The build refuses what a checker can catch: warnings are errors in frontdoor's own targets
# (dependencies' warnings are suppressed by SwiftPM), and a target may import only the modules its
# manifest entry declares, not ones it sees through another dependency.
SWIFT_STRICT := -Xswiftc -warnings-as-errors --explicit-target-dependency-import-check error
SWIFT_BUILD_ARGS ?=
STACK_ENV = $(shell scripts/stack.sh env)
BIN = .build/debug/frontdoor

.PHONY: setup up down reset build release test unit run bench lint format clean-state

setup:
	@scripts/setup.sh

up: setup
	@scripts/stack.sh up

down:
	@scripts/stack.sh down

reset:
	@scripts/stack.sh reset

build: setup
	@swift build $(SWIFT_STRICT) $(SWIFT_LINK) $(SWIFT_BUILD_ARGS)

release: setup
	@swift build -c release $(SWIFT_STRICT) $(SWIFT_LINK) $(SWIFT_BUILD_ARGS)

# Unit and integration tests against the real broker and database; the stack is stopped
# afterwards and the exit status is swift test's.
test: setup
	@scripts/test.sh $(SWIFT_STRICT) $(SWIFT_LINK) $(SWIFT_BUILD_ARGS)

# Pure domain tests only: no broker, no database.
unit:
	@swift test --filter FrontDoorDomainTests $(SWIFT_STRICT) $(SWIFT_BUILD_ARGS)

# swift format ships with the toolchain; .swift-format holds the project's settings. `lint` fails
# on any difference (CI runs it before the tests); `format` rewrites the files in place.
SWIFT_FILES = $(shell git ls-files '*.swift')
lint:
	@swift format lint --strict --parallel $(SWIFT_FILES)

format:
	@swift format format --in-place --parallel $(SWIFT_FILES)

run: up build
	@scripts/run.sh

# Benchmarks print figures (never pass/fail): Kafka produce and batch-consume rates for 1M
# 200-byte messages, then the outcomes report on a generated year (BENCH_REPORT_ARGS, default a
# Kent-sized 230,000 pupils over 40 school days; `--days 190` for a full year, ~16 min to load).
BENCH_REPORT_ARGS ?= --days 40
bench: up release
	@env $(STACK_ENV) .build/release/frontdoor bench kafka
	@env $(STACK_ENV) .build/release/frontdoor bench report $(BENCH_REPORT_ARGS)
