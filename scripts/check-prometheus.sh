#!/usr/bin/env bash
# The Prometheus files' checks (`make rules`, and part of `make test`): the Compose scrape
# config with the rules it loads, every rule file, and the rules' unit tests
# (deploy/prometheus/tests/*.yml: every alert firing and not firing). promtool comes from
# Debian's `prometheus` package, which `make setup` installs.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v promtool >/dev/null || { echo "check-prometheus: promtool not found: run make setup (Debian's prometheus package)" >&2; exit 1; }
# kubernetes.yml is not checked here: Debian's promtool is built without Kubernetes service
# discovery and refuses kubernetes_sd_configs (DeployTests parses that file).
promtool check config deploy/prometheus/prometheus.yml
promtool check rules deploy/prometheus/rules/*.yml
promtool test rules deploy/prometheus/tests/*.yml
