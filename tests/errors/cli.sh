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
case_ 1 "netc: -D base=1e999: '1e999' is not a finite number" check d.net -D base=1e999
case_ 1 "netc: -D base=0x10: the value must be a number or a name" check d.net -D base=0x10
case_ 1 "netc: -D width=9: 'width' is already set by -D width=7" check d.net -D width=7 -D width=9
case_ 0 "" check d.net -D width=7 -D base=0.5
case_ 1 "d.net:5:22: error: 'lr' takes a number, got 'nan'
    5 | optimizer sgd { lr = base }
      |                      ^~~~
netc: 1 error in d.net; not valid" check d.net -D base=nan
case_ 1 "netc: $work: is a directory, not a .net file" check "$work"
case_ 1 "netc: none.net: No such file or directory" check none.net
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
