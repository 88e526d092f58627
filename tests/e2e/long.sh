#!/usr/bin/env bash
# long.sh NETC WORKDIR: valid models that netc used to refuse or turn into C that did not compile
# now compile with -Wall -Wextra -Werror and train: 78 layers, a model file 1,000 characters deep
# in directories and a function of 200 terms (lines were cut at 1024 characters); lets of lets,
# of pi and of sqrt(64) as sizes, and a constant function (its x unused).
set -u
netc=$1 work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 2
passed=0 failed=0
# try NAME NET-FILE TRAINER-ARGS...: build, then train a few steps to a final line
try() {
    local name=$1 net=$2
    shift 2
    if CFLAGS="-O0 -Wall -Wextra -Werror" "$netc" build "$net" -o "$work/$name" >/dev/null 2>err &&
        "$work/$name" "$@" >out 2>&1 && tail -n 1 out | grep -Eq '^(test|train): loss [0-9.e+-]+  '; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $name:"
        head -c 3000 err out
    fi
}
cat >deep.net <<'NET'
model deep { input 1  repeat 38 { dense 10 relu }  dense 1 }
loss mse
optimizer adam { lr = 0.001 }
train { epochs = 1  batch = 20 }
data function { y = sin(x)  x = uniform(0, 3)  n = 100 }
NET
try deep deep.net
dir=$(printf 'd%.0s' {1..120})
long="$work/$dir/$dir/$dir/$dir/$dir/$dir/$dir/$dir"
mkdir -p "$long"
cp deep.net "$long/m.net"
try long_path "$long/m.net"
terms=$(printf ' + x%.0s' {1..199})
cat >sum.net <<NET
model sum { input 1  dense 8 tanh  dense 1 }
loss mse
optimizer adam { lr = 0.01 }
train { epochs = 2  batch = 20 }
data function { y = x$terms  x = uniform(0, 1)  n = 100 }
NET
try sum sum.net
cat >lets.net <<'NET'
let a = 5
let b = a
let c = sqrt(64)
let d = pi
model lets { input 1  dense b tanh  dense c  dense 1 init=uniform(d) }
loss mse
optimizer adam { lr = 0.01 }
train { epochs = 1  batch = 10 }
data function { y = 2  x = uniform(0, 1)  n = 50 }
NET
try lets lets.net
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -eq 4 ]
