#!/bin/sh
# Runs a benchmark from compiled JavaScript, as faultline runs in production (tsx, the
# TypeScript loader the tests use, adds ~50 MiB of RSS and some CPU):
#   bench/run-compiled.sh collector --intervals 10
set -eu
cd "$(dirname "$0")/.."
out="${TMPDIR:-/tmp}/faultline-bench-js"
rm -rf "$out"
npx tsc -p bench/tsconfig.json --outDir "$out"
mkdir -p "$out/src/proto" "$out/test/fixtures"
cp src/proto/faultline.proto "$out/src/proto/"
cp bench/fake-bpftrace.mjs bench/fault-loop.c "$out/bench/"
cp -r test/fixtures/programs "$out/test/fixtures/"
ln -sfn "$PWD/node_modules" "$out/node_modules"
ln -sfn "$PWD/probes" "$out/probes"
FAULTLINE_REPO="$PWD" exec node "$out/bench/run.js" "$@"
