#!/usr/bin/env bash
# Lab E2's grid, one command: depth (e2_1l.net: 784-360-10, e2_2l.net: 784-512-256-10) ×
# activation {sigmoid, relu, gelu} × loss {cross_entropy, mse, hinge} on MNIST, 100 epochs each
# as in the lab (18 runs, 18 trainers: each combination is its own C). The table and curves go to
# e2-grid/. Arguments go to every trainer: examples/e2_grid.sh --epochs 5 is a shorter run.
cd "$(dirname "$0")/.." || exit 1
exec "${NETC:-build/compiler/netc}" sweep examples/e2_1l.net examples/e2_2l.net \
  --set act=sigmoid,relu,gelu --set objective=cross_entropy,mse,hinge \
  --out "${OUT:-e2-grid}" ${FORCE:+--force} -- "$@"
