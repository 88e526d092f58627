#!/usr/bin/env bash
# cli.sh NETC DIR: netc's messages about its command line and its input file, which the
# transcripts (run.sh) cannot reach: each case is a command, its exit status and its exact stderr.
set -u
netc=$1 dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$dir/../golden/mlp.net" "$work/m.net"
cat >"$work/d.net" <<'NET'
let base = 0.1
let width = 8
model m { input 784 dense width relu dense 10 }
loss cross_entropy
optimizer sgd { lr = base }
data mnist
NET
cat >"$work/w.net" <<'NET'
let w_init = he_normal
let act = relu
model m { input 784 dense 8 init=w_init act dense 10 }
loss cross_entropy
optimizer sgd { lr = 0.1 }
data mnist
NET
cat >"$work/l.net" <<'NET'
let ms = (2, 4)
let path = "train.idx"
model m { input 784 dense 10 }
loss cross_entropy
optimizer sgd { lr = 0.1 }
schedule multistep { milestones = ms }
data idx { images = path  labels = "labels.idx" }
NET
cd "$work" || exit 2
passed=0 failed=0
# case STATUS EXPECTED-STDERR ARGS...
case_() {
    local want=$1 expected=$2
    shift 2
    timeout 10 "$netc" "$@" >/dev/null 2>err
    local got=$?
    if [ "$got" -eq "$want" ] && [ "$(cat err)" = "$expected" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: netc $*: exit $got (expected $want), stderr:"
        cat err
        echo "expected: $expected"
    fi
}
# -D takes any value a let takes; its errors name the -D and quote it, never the file's line
case_ 1 "netc: -D base=1e999: error: number '1e999' is out of range
      | -D base=1e999
      |         ^~~~~" check d.net -D base=1e999
case_ 1 "netc: -D base=(1,2: error: syntax error: expected '-', ')' or ',' before end of file
      | -D base=(1,2
      |            ^" check d.net -D 'base=(1,2'
case_ 1 "netc: -D width=9: 'width' is already set by -D width=7" check d.net -D width=7 -D width=9
case_ 0 "" check d.net -D width=7 -D base=0.5
case_ 0 "" check d.net -D width=2*8 -D base=1e-3
case_ 0 "" check w.net -D 'w_init=normal(0.01)' -D act=gelu
case_ 0 "" check w.net -D 'w_init=uniform(-0.1, 0.1)' -D act=swish
case_ 1 "netc: -D base=nan: error: 'lr' takes a number, got 'nan'
      | -D base=nan
      |         ^~~
netc: 1 error in d.net; not valid" check d.net -D base=nan
case_ 1 "netc: -D w_init=normal(-1): error: the standard deviation of 'normal' must be positive, got -1
      | -D w_init=normal(-1)
      |                  ^~
netc: 1 error in w.net; not valid" check w.net -D 'w_init=normal(-1)'
case_ 1 "netc: -D w_init=he_normel: error: unknown initializer 'he_normel'; did you mean 'he_normal'?
      | -D w_init=he_normel
      |           ^~~~~~~~~
netc: 1 error in w.net; not valid" check w.net -D w_init=he_normel
case_ 1 "netc: -D width=4x4: error: 'dense' takes a whole number in [1, 16777216], got '4x4'
      | -D width=4x4
      |          ^~~
netc: 1 error in d.net; not valid" check d.net -D width=4x4
# lists and strings too
case_ 0 "" check l.net -D 'ms=(3, 5, 9)' -D 'path="other.idx"'
case_ 1 "netc: -D ms=(5, 3): error: 'milestones' must increase: 3 after 5
      | -D ms=(5, 3)
      |           ^
netc: 1 error in l.net; not valid" check l.net -D 'ms=(5, 3)'
case_ 1 "netc: -D path=other: error: 'images' takes a quoted path, e.g. \"data/train-images.gz\"
      | -D path=other
      |         ^~~~~
netc: 1 error in l.net; not valid" check l.net -D path=other
case_ 1 "netc: $work: is a directory, not a .net file" check "$work"
case_ 1 "netc: none.net: No such file or directory" check none.net
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
