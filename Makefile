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

.PHONY: setup up down reset build release test unit rules run bench lint format fuzz fuzz-merge faults clean-state

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

# Unit and integration tests against the real broker and database, then the short soak of
# scripts/faults.py (~50,000 events, a few faults); the stack is stopped afterwards and the
# exit status is non-zero when either failed.
test: setup
	@scripts/test.sh $(SWIFT_STRICT) $(SWIFT_LINK) $(SWIFT_BUILD_ARGS)

# The Prometheus scrape config, alert rules and their promtool unit tests (also part of `make test`).
rules: setup
	@scripts/check-prometheus.sh

# Pure domain tests only: no broker, no database.
unit:
	@swift test --filter FrontDoorDomainTests $(SWIFT_STRICT) $(SWIFT_BUILD_ARGS)

# swift format ships with the toolchain; .swift-format holds the project's settings. `lint` fails
# on any difference (CI runs it before the tests), and on a module a target imports without its
# Package.swift entry declaring it (SwiftPM's own import check covers only this package's targets);
# `format` rewrites the files in place.
SWIFT_FILES = $(shell git ls-files '*.swift')
lint:
	@swift format lint --strict --parallel $(SWIFT_FILES)
	@python3 scripts/check-imports.py

format:
	@swift format format --in-place --parallel $(SWIFT_FILES)

run: up build
	@scripts/run.sh

# Benchmarks print figures (never pass/fail): Kafka produce and batch-consume rates for 1M
# 200-byte messages; the attendance worker's figures of issue 10 (BENCH_ATTENDANCE_ARGS, default
# the issue's: a Kent morning of 230,000 marks on an empty database, onto 150 school days of
# history, the COPY ceiling, a batched consumer without rules, two replicas, p50/p99 latency at
# 20,000 marks/s, peak RSS; figures also in .local/state/bench/attendance-<time>.txt; a quick run:
# `BENCH_ATTENDANCE_ARGS='--pupils 20000 --history-days 20 --latency-days 15'`); then the outcomes
# report on a generated year (BENCH_REPORT_ARGS, default a Kent-sized 230,000 pupils over 40
# school days; `--days 190` for a full year, ~16 min to load).
BENCH_ATTENDANCE_ARGS ?=
BENCH_REPORT_ARGS ?= --days 40
bench: up release
	@env $(STACK_ENV) .build/release/frontdoor bench kafka
	@env $(STACK_ENV) .build/release/frontdoor bench attendance $(BENCH_ATTENDANCE_ARGS)
	@env $(STACK_ENV) .build/release/frontdoor bench report $(BENCH_REPORT_ARGS)
	@env $(STACK_ENV) .build/release/frontdoor bench gateway

# Fuzzes the event decoder and the rules it feeds (libFuzzer; Sources/frontdoor-fuzz) for
# FUZZ_SECONDS over the checked-in corpus fuzz/corpus. New inputs go to .build-fuzz/corpus,
# crashes to .build-fuzz/crashes/ (keep each as a test in fuzz/regressions); `make fuzz-merge`
# folds the new inputs that reach new edges into fuzz/corpus (edges only, so it stays a few
# hundred files). Its own scratch path, so the fuzzer flags never touch .build.
FUZZ_SECONDS ?= 600
FUZZ_ARGS ?=
# lld: gold stops with an internal error (dwarf_reader.cc) linking libFuzzer into the target.
FUZZ_BUILD = swift build -c release --scratch-path .build-fuzz --product frontdoor-fuzz -Xswiftc -sanitize=fuzzer \
	-Xswiftc -DFUZZING -Xswiftc -use-ld=lld
FUZZ_BIN = .build-fuzz/release/frontdoor-fuzz

fuzz:
	@$(FUZZ_BUILD)
	@mkdir -p .build-fuzz/corpus .build-fuzz/crashes
	@$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 -print_final_stats=1 \
		-artifact_prefix=.build-fuzz/crashes/ $(FUZZ_ARGS) .build-fuzz/corpus fuzz/corpus

fuzz-merge:
	@$(FUZZ_BUILD)
	@$(FUZZ_BIN) -merge=1 -use_counters=0 -max_len=16384 fuzz/corpus .build-fuzz/corpus

# The soak of issue 8 (scripts/faults.py, docs/operations.md "make faults"): over 1,000,000 events
# through the real workers while it SIGKILLs and restarts them, restarts PostgreSQL and scales the
# attendance worker 1 -> 3 -> 1, then checks everything against its own oracle and prints one
# table. Non-zero exit on any discrepancy. FAULTS_ARGS e.g. `--profile short`, `--seed 3`.
FAULTS_ARGS ?=
faults: up build
	@env $(STACK_ENV) FRONTDOOR_BIN=$(ROOT)/$(BIN) .local/venv/bin/python scripts/faults.py --profile full $(FAULTS_ARGS)
