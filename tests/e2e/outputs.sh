#!/usr/bin/env bash
# outputs.sh NETC ROOT WORKDIR: netc never destroys what it should not.
#   - an output that is the model file (no extension, -o naming it, through a link) is refused and
#     the model is intact;
#   - a device, a FIFO or a link as gen's output is written through and stays what it was (device
#     stand-ins made with mknod here, never the real /dev nodes); build refuses a non-file trainer;
#   - a regular file gets the umask's mode, no temporary is left, '-o -x' is a file, not an option.
set -u
netc=$1 root=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 2
passed=0 failed=0
check() { # check WHAT CONDITION...
    local what=$1
    shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}
# expect STATUS MESSAGE CMD...: the status and a fixed string on stderr
expect() {
    local want=$1 msg=$2
    shift 2
    "$@" >/dev/null 2>err
    local got=$?
    check "$* exits $got, expected $want" [ "$got" -eq "$want" ]
    check "$*: '$msg' not in: $(cat err)" grep -qF -- "$msg" err
}
cp "$root/tests/golden/mlp.net" mymodel
sum=$(cksum <mymodel)
intact() { [ "$(cksum <mymodel)" = "$sum" ]; }

expect 1 "netc: mymodel is the model file itself" "$netc" build mymodel
check "build without an extension kept the model" intact
expect 1 "netc: mymodel is the model file itself" "$netc" gen mymodel -o mymodel
expect 1 "netc: ./mymodel is the model file itself" "$netc" build mymodel -o ./mymodel
ln -s mymodel link.c
cp mymodel m.net
ln m.net hard.net
expect 1 "netc: link.c is the model file itself" "$netc" gen mymodel -o link.c
expect 1 "netc: hard.net is the model file itself" "$netc" gen m.net -o hard.net
check "refusals kept the model" intact
check "a refusal wrote something: $(ls)" [ "$(ls | wc -l)" -eq 5 ]  # the model, its copies, err
expect 1 "'-o -' (standard output) is for gen" "$netc" build m.net -o -

# '-o -x': a file named -x, not an option of cc
CFLAGS=-O0 "$netc" build m.net -o -x >out 2>err
check "build -o -x: $(cat err)" [ -x ./-x ] && [ -f ./-x.c ]
check "build -o -x prints ./-x" grep -qx -- "./-x" out

# a regular file: the umask's mode, no temporary left beside it
(umask 027 && "$netc" gen m.net -o perm.c)
check "gen -o perm.c: mode $(stat -c %a perm.c), expected 640" [ "$(stat -c %a perm.c)" = 640 ]
check "a temporary left beside perm.c" [ "$(ls | grep -c '^perm\.c')" -eq 1 ]

# a link as gen's output: written through, the link stays
echo old >target.c
ln -s target.c out.c
"$netc" gen m.net -o out.c
check "gen -o LINK replaced the link" [ -L out.c ]
check "gen -o LINK did not write its target" grep -q "^int main" target.c

# devices: stand-ins for /dev/null and /dev/full
if mknod null c 1 3 2>/dev/null && mknod full c 1 7 2>/dev/null; then
    "$netc" gen m.net -o null
    check "gen -o NULL-DEVICE failed" [ $? -eq 0 ]
    check "gen replaced the null device" [ -c null ]
    expect 2 "netc: cannot write full: No space left on device" "$netc" gen m.net -o full
    check "gen replaced the full device" [ -c full ]
    expect 1 "netc: null exists and is not a regular file" "$netc" build m.net -o null
    check "build replaced the null device" [ -c null ]
else
    echo "outputs.sh: mknod not permitted: device checks skipped" >&2
fi
# a FIFO: gen writes through it to a reader
mkfifo pipe
(timeout 20 cat pipe >from_pipe &)
timeout 20 "$netc" gen m.net -o pipe
check "gen -o FIFO failed" [ $? -eq 0 ]
sleep 0.2
check "gen -o FIFO: nothing came through" grep -q "^int main" from_pipe
check "gen replaced the FIFO" [ -p pipe ]

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
