#!/usr/bin/env bash
# Plan cost: `npm start` (the quickstart plan) and plan time as model services grow.
# Needs hyperfine (apt-get install -y hyperfine). Results: bench/plan/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${RUNS:-10}"
uptime > bench/plan/results/load-before.txt

# What `npm start` runs, with npm itself, and with the ESM-only loader.
hyperfine --warmup 2 --runs "$runs" --export-markdown bench/plan/results/start.md --export-json bench/plan/results/start.json \
  -n 'npm start' 'npm start --silent' \
  -n 'node --import tsx' 'node --import tsx cli/main.ts plan examples/quickstart' \
  -n 'node --import tsx/esm' 'node --import tsx/esm cli/main.ts plan examples/quickstart'

# Growth with the number of ModelWebservices (policy pack included).
hyperfine --warmup 1 --runs "$runs" --export-markdown bench/plan/results/services.md --export-json bench/plan/results/services.json \
  --parameter-list services 1,10,50 \
  -n 'services={services}' 'node --import tsx/esm cli/main.ts plan bench/plan/services --config services={services}'
uptime > bench/plan/results/load-after.txt
