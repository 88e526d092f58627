#!/usr/bin/env bash
# demo.sh: the main job end to end. Set up, generate and compile the trainer for
# models/fmnist_mlp.net, train it on Fashion-MNIST, print the test accuracy.
# Arguments go to the trainer, e.g. ./demo.sh --epochs 2
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
mkdir -p build/demo
build/compiler/netc build models/fmnist_mlp.net -o build/demo/fmnist_mlp
build/demo/fmnist_mlp "$@"
