#!/usr/bin/env bash
# csv.sh NETC WORKDIR: a regression on a CSV file made here (y = 3·x1 - 2·x2 + 0.5, 500 rows)
# trains to a test MSE below 1e-3; the same trainer reports a bad cell as file:line:col with
# exit status 1, and a row with a missing column likewise.
set -u
netc=$1 work=$2
mkdir -p "$work"
cd "$work" || exit 1
pass=0 fail=0
check() { # check NAME CONDITION-STATUS
  if [ "$2" -eq 0 ]; then echo "ok $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
awk 'BEGIN { srand(7); print "x1,x2,y"
             for (i = 0; i < 500; i++) { a = rand() * 2 - 1; b = rand() * 2 - 1
                                         printf "%.5f,%.5f,%.5f\n", a, b, 3 * a - 2 * b + 0.5 } }' >lin.csv
cat >lin.net <<'NET'
model lin {
  input 2
  dense 16 tanh
  dense 1
}
loss      mse
optimizer adam { lr = 0.01 }
train     { epochs = 200  batch = 50 }
data      csv { file = "lin.csv"  header = true  target = last  split = 0.8/0.1/0.1 }
NET
"$netc" build lin.net -o lin >/dev/null || { echo "FAIL build"; exit 1; }
./lin --quiet >fit.log 2>&1
status=$?
cat fit.log
mse=$(sed -n 's/^test: loss [0-9.e+-]*  mse \([0-9.e+-]*\)  mae .*/\1/p' fit.log)
check "trains (exit $status)" $status
check "test mse < 1e-3 (got ${mse:-nothing})" "$(awk -v m="${mse:-1}" 'BEGIN { print (m < 1e-3) ? 0 : 1 }')"

sed '7s/.*/0.1,abc,0.3/' lin.csv >bad.csv
mkdir -p badcell && cp bad.csv badcell/lin.csv
./lin --quiet --data-dir badcell >bad.log 2>&1
status=$?
cat bad.log
check "bad cell: exit 1 (got $status)" $([ $status -eq 1 ] && echo 0 || echo 1)
check "bad cell: located as lin.csv:7:5" $(grep -q "lin.csv:7:5: 'abc' is not a number" bad.log && echo 0 || echo 1)

mkdir -p short && sed '9s/,[^,]*$//' lin.csv >short/lin.csv
./lin --quiet --data-dir short >short.log 2>&1
status=$?
cat short.log
check "short row: exit 1 (got $status)" $([ $status -eq 1 ] && echo 0 || echo 1)
check "short row: names line 9" $(grep -q "lin.csv:9:" short.log && echo 0 || echo 1)
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
