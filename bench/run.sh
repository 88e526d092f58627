#!/usr/bin/env bash
# bench/run.sh [--rows A,B,C,D,E] [--epochs N] [--load]: set up (./setup.sh, and PyTorch from
# Debian's python3-torch), then compare netc's trainers with PyTorch in one run (--load: beside
# a competing busy process); see bench/README.md.
set -eu
cd "$(dirname "$0")/.."
./setup.sh
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y python3-torch
fi
exec /usr/bin/python3 bench/bench.py "$@"
