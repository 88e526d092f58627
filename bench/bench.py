#!/usr/bin/python3
"""bench.py: netc's generated trainers against PyTorch, on the same data, in one run.

    /usr/bin/python3 bench/bench.py [--rows A,B,C,D,E] [--epochs N] [--gemm PATH] [--load]
                                                                        (bench/run.sh calls this)

For each row of bench/rows/ it builds the netc trainer, trains it, then trains the same network
in PyTorch in three settings: as installed (environment as found, 2 threads), 2 threads with
OMP_WAIT_POLICY=passive, and 1 thread. PyTorch's fastest setting is the baseline. Every run is a
fresh process, timed by itself (training only: no start-up, no evaluation) and measured for peak
RSS through wait4. Both sides run twice (ROUNDS), the second time in reverse order, and each
keeps its faster run: the shared machine's speed drifts over minutes. A probe measures the
machine's SGEMM rate (2048³, 2 threads; the better of OpenBLAS with its core in force and
netrt_sgemm) beside each netc run, so that netc's GEMM rate is a fraction of the peak measured
in the same minute.

--gemm PATH (auto, avx512, avx2 or openblas) is passed to netc's trainers and to the probe, whose
netrt_sgemm then runs that path: each of netc's kernels can be measured on a CPU that runs it.
With --load, one competing busy process (`yes > /dev/null`) runs beside every timed run of
either side: started before the process, killed after it. The probe runs without it.

Also `bench.py torch ROW EPOCHS` (one PyTorch run, printing JSON), used by the above.
"""
import gzip
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NETC = os.path.join(ROOT, "build", "compiler", "netc")
WORK = os.path.join(ROOT, "build", "bench")
MNIST_DIRS = [os.environ.get("NETC_DATA_DIR", "") + "/mnist",
              os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"),
                           "netc", "mnist"),
              "/usr/local/share/netc/mnist"]
FASHION_DIR = "/usr/share/datasets/fashion-mnist"

SEEDS = (42, 43, 44, 45, 46)  # rows A-C: the accuracy compared is their mean; times: seed 42
ROUNDS = 2  # timed runs of each side per row; each keeps its fastest
GEMM = []  # --gemm PATH for netc's trainers and the probe; empty: their default (auto)
LOAD = False  # --load: a competing busy process beside every timed run

# What each row trains, for PyTorch; the netc side is bench/rows/ROW.net.
ROWS = {
    "A": dict(data="fashion", net="mlp", sizes=[784, 256, 10], act="relu", opt="sgd", lr=0.1,
              batch=256, epochs=5),
    "B": dict(data="mnist", normalize=True, net="mlp", sizes=[784, 512, 256, 10], act="relu",
              opt="sgd", lr=0.01, momentum=0.9, wd=1e-3, batch=200, epochs=5),
    "C": dict(data="fashion", net="mlp", sizes=[784, 512, 10], act="relu", opt="adam", lr=1e-3,
              batch=256, epochs=5),
    "D": dict(data="function", net="mlp", sizes=[1, 64, 64, 64, 64, 64, 1], act="silu",
              opt="adam", lr=0.01, batch=0, max_steps=20000, loss_below=1e-4),
    "E": dict(data="mnist", net="lenet", opt="sgd", lr=0.01, momentum=0.9, batch=32, epochs=5),
}

# ---- data, read straight from the IDX files -------------------------------------------------


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return data[4 + 4 * ndim:], dims


def find(dirs, name):
    for d in dirs:
        for p in (os.path.join(d, name), os.path.join(d, name + ".gz")):
            if os.path.exists(p):
                return p
    raise SystemExit("bench: %s not found in %s" % (name, ", ".join(dirs)))


def load_images(kind):
    import torch
    dirs = [FASHION_DIR] if kind == "fashion" else MNIST_DIRS
    out = []
    for split in ("train", "t10k"):
        pix, dims = read_idx(find(dirs, split + "-images-idx3-ubyte"))
        lab, _ = read_idx(find(dirs, split + "-labels-idx1-ubyte"))
        x = torch.frombuffer(bytearray(pix), dtype=torch.uint8).reshape(dims[0], 28 * 28)
        y = torch.frombuffer(bytearray(lab), dtype=torch.uint8).long()
        out += [x, y]
    return out


# ---- one PyTorch run ----------------------------------------------------------------------------


def torch_run(row_name, epochs, seed=42):
    import torch
    import torch.nn as nn
    row = ROWS[row_name]
    torch.manual_seed(seed)
    acts = {"relu": nn.ReLU, "silu": nn.SiLU}
    if row["net"] == "lenet":
        act = nn.LeakyReLU
        model = nn.Sequential(nn.Conv2d(1, 6, 5), act(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), act(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 128), act(),
                              nn.Linear(128, 64), act(), nn.Linear(64, 10))
    else:
        layers = []
        s = row["sizes"]
        for i in range(len(s) - 1):
            layers.append(nn.Linear(s[i], s[i + 1]))
            if i < len(s) - 2:
                layers.append(acts[row["act"]]())
        model = nn.Sequential(*layers)
    if row["opt"] == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=row["lr"])
    else:
        opt = torch.optim.SGD(model.parameters(), lr=row["lr"], momentum=row.get("momentum", 0),
                              weight_decay=row.get("wd", 0))

    if row["data"] == "function":
        g = torch.Generator().manual_seed(42)
        x = torch.rand(2000, 1, generator=g) * 15 + 1
        y = torch.log2(x) + torch.cos(torch.pi * x / 2)
        xt, yt, xs, ys = x[:1600], y[:1600], x[1800:], y[1800:]
        loss_fn = nn.MSELoss()
        steps, times = 0, []
        t0 = time.perf_counter()
        while steps < row["max_steps"]:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xt), yt)
            loss.backward()
            opt.step()
            steps += 1
            if loss.item() < row["loss_below"]:
                break
        total = time.perf_counter() - t0
        with torch.no_grad():
            mse = loss_fn(model(xs), ys).item()
        return dict(seconds=total / steps, steps=steps, metric=mse)

    xtr, ytr, xte, yte = load_images(row["data"])
    mean, std = (0.0, 1.0)
    if row.get("normalize"):
        f = xtr.float() / 255
        mean, std = f.mean().item(), f.std(unbiased=False).item()
    shape = (-1, 1, 28, 28) if row["net"] == "lenet" else (-1, 784)

    def inputs(xb):
        return ((xb.float() / 255 - mean) / std).reshape(shape)

    loss_fn = nn.CrossEntropyLoss()
    times = []
    n, B = xtr.shape[0], row["batch"]
    for _ in range(epochs):
        order = torch.randperm(n)
        t0 = time.perf_counter()
        for s in range(0, n, B):
            idx = order[s:s + B]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(inputs(xtr[idx])), ytr[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    correct = 0
    with torch.no_grad():
        for s in range(0, xte.shape[0], 1000):
            correct += (model(inputs(xte[s:s + 1000])).argmax(1) == yte[s:s + 1000]).sum().item()
    return dict(seconds=statistics.median(times), metric=100 * correct / xte.shape[0])


# ---- running and measuring ------------------------------------------------------------------------


def run(cmd, env=None, load=False):
    """Run cmd, with `yes > /dev/null` beside it if load; return (stdout, peak RSS in MiB)."""
    busy = subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) if load else None
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        if busy:
            busy.kill()
            busy.wait()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("bench: %s failed:\n%s" % (" ".join(cmd), out[-2000:]))
    return out, usage.ru_maxrss / 1024


def netc_run(row_name, epochs, seed=42, load=False):
    os.makedirs(WORK, exist_ok=True)
    net = os.path.join(ROOT, "bench", "rows", row_name + ".net")
    exe = os.path.join(WORK, "bench_" + row_name)
    subprocess.run([NETC, "build", net, "-o", exe], check=True, stdout=subprocess.DEVNULL)
    check = subprocess.run([NETC, "check", net], check=True, capture_output=True, text=True).stdout
    flops_sample = int(re.search(r"forward, ([\d,]+) per training step", check)[1].replace(",", ""))
    csv = exe + ".csv"
    args = [exe, "--csv", csv, "--seed", str(seed)] + GEMM + (
        [] if row_name == "D" else ["--epochs", str(epochs)])
    out, rss = run(args, load=load)
    rows = [line.split(",") for line in open(csv).read().split("\n")[1:] if line]
    seconds = [float(r[-1]) for r in rows]
    final = re.search(r"^test: loss \S+  (?:accuracy (\S+)%|mse (\S+)  mae)", out, re.M)
    core = re.search(r"^blas      OpenBLAS (\S+) \((.*)\), (\d+) threads$", out, re.M)
    products = re.search(r"^products  (.*)$", out, re.M)[1]
    setup = "%s (%s); products: %s" % (core[1], core[2], products)
    busy = re.search(r"^threads   (.*) \(fewer while", out, re.M)
    if busy:  # the trainer took fewer threads while the cores were busy (runtime/threads.c)
        setup += "; threads: " + busy[1]
    n_train = int(re.search(r"(\d+) train,", out)[1])
    if row_name == "D":
        return dict(seconds=sum(seconds) / len(seconds), steps=len(seconds),
                    metric=float(final[2]), rss=rss, core=setup, flops=flops_sample * n_train)
    return dict(seconds=statistics.median(seconds), metric=float(final[1]), rss=rss,
                core=setup, flops=flops_sample * n_train)


def sgemm_probe():
    """Build the probe; return a function that runs it: (OpenBLAS GFLOP/s, its core,
    netrt_sgemm GFLOP/s, its kernel, its threads)."""
    os.makedirs(WORK, exist_ok=True)
    probe = os.path.join(WORK, "sgemm_peak")
    src = os.path.join(ROOT, "bench", "sgemm_peak.c")
    lib = os.path.join(os.path.dirname(os.path.dirname(NETC)), "runtime", "libnetrt.a")
    subprocess.run(["cc", "-O2", "-I", os.path.join(ROOT, "runtime"), "-o", probe, src, lib,
                    "-lopenblas", "-lpng", "-lz", "-lm", "-pthread"], check=True)

    def measure():
        out, _ = run([probe] + GEMM[1:])
        blas, core, _, own, kernel, threads = out.split()
        return float(blas), core, float(own), kernel, int(threads)
    return measure


def main():
    global LOAD
    rows, epochs = "ABCDE", 5
    args = sys.argv[1:]
    if args[:1] == ["torch"]:
        print(json.dumps(torch_run(args[1], int(args[2]), *map(int, args[3:4]))))
        return
    while args:
        if args[0] == "--rows":
            rows = args[1].replace(",", "")
        elif args[0] == "--epochs":
            epochs = int(args[1])
        elif args[0] == "--gemm":
            GEMM[:] = ["--gemm", args[1]]
        elif args[0] == "--load":
            LOAD = True
            args = args[1:]
            continue
        else:
            raise SystemExit(__doc__)
        args = args[2:]

    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())[1]
    probe = sgemm_probe()
    blas_peak, core, own_peak, kernel, threads = probe()  # for the heading
    print("cpu: %s, %d cores; OPENBLAS_CORETYPE=%s; SGEMM at 2048³: OpenBLAS %s %.0f GFLOP/s, "
          "netrt_sgemm (%s, %d threads) %.0f GFLOP/s"
          % (cpu, os.cpu_count(), os.environ.get("OPENBLAS_CORETYPE", "(not set)"), core,
             blas_peak, kernel, threads, own_peak), flush=True)
    if LOAD:
        print("load: `yes > /dev/null` beside every timed run, both sides; target x1.5 for "
              "every row, no GEMM-rate target (the probe runs without the load)", flush=True)
    modes = {
        "installed": {},
        "2 threads, passive": {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "passive"},
        "1 thread": {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    }

    def peak():
        blas, _, own, _, _ = probe()
        return max(blas, own)

    def torch_runs(r):
        t = {}
        for mode, extra in modes.items():
            out, rss = run([sys.executable, os.path.abspath(__file__), "torch", r, str(epochs)],
                           env=dict(os.environ, **extra), load=LOAD)
            t[mode] = dict(json.loads(out.strip().split("\n")[-1]), rss=rss)
        return t

    table = []
    for r in rows:
        # The machine's speed drifts over minutes (shared cores): each side runs in every
        # round, the second round in reverse order, and keeps its best. The SGEMM peak is
        # measured beside netc's run, in the same round.
        rounds = []
        for k in range(ROUNDS):
            if k % 2 == 0:
                n_peak = peak()
                n = netc_run(r, epochs, load=LOAD)
                t = torch_runs(r)
            else:
                t = torch_runs(r)
                n = netc_run(r, epochs, load=LOAD)
                n_peak = peak()
            n["peak"] = n_peak
            rounds.append((n, t))
            print("   round %d: netc %.4g, SGEMM peak %.0f GFLOP/s; torch %s" % (
                k + 1, n["seconds"], n_peak, ", ".join(
                    "%s %.4g" % (m, t[m]["seconds"]) for m in modes)), flush=True)
        n = min((n for n, _ in rounds), key=lambda n: n["seconds"])
        t = {m: min((t[m] for _, t in rounds), key=lambda x: x["seconds"]) for m in modes}
        row_peak = n["peak"]
        fastest = min(t, key=lambda m: t[m]["seconds"])
        tf, ti = t[fastest], t["installed"]
        if r in "ABC":
            # One seed's test accuracy swings by a point or two from epoch to epoch (SGD at lr 0.1
            # on Fashion-MNIST: ±2): compare the mean over five seeds of both sides instead.
            n["accs"], tf["accs"] = [n["metric"]], [tf["metric"]]
            for seed in SEEDS[1:]:
                n["accs"].append(netc_run(r, epochs, seed)["metric"])
                out, _ = run([sys.executable, os.path.abspath(__file__), "torch", r, str(epochs),
                              str(seed)], env=dict(os.environ, **modes["1 thread"]))
                tf["accs"].append(json.loads(out.strip().split("\n")[-1])["metric"])
            n["metric"], tf["metric"] = statistics.mean(n["accs"]), statistics.mean(tf["accs"])
        speedup, speedup_inst = tf["seconds"] / n["seconds"], ti["seconds"] / n["seconds"]
        rate = n["flops"] / n["seconds"] / 1e9
        # issue 18's targets: A-C 2x with 80% of the SGEMM peak, D and E 3x; 1.5x under --load
        target = 1.5 if LOAD else {"D": 3.0, "E": 3.0}.get(r, 2.0)
        ok = speedup >= target and n["rss"] <= tf["rss"] / 5
        if r in "ABC":
            ok = ok and (LOAD or rate / row_peak >= 0.80) and abs(n["metric"] - tf["metric"]) <= 0.5
        if r == "D":
            ok = ok and n["metric"] <= 2e-4
        table.append((r, n, tf, ti, fastest, speedup, speedup_inst, rate, row_peak, ok, target))
        unit = "ms/step" if r == "D" else "s/epoch"
        scale = 1000 if r == "D" else 1
        print("%s  netc %.4g %s (%s, %s %.3g, RSS %.0f MiB, %.0f GFLOP/s = %.0f%% of %.0f)  "
              "torch fastest [%s] %.4g (%s %.3g, RSS %.0f MiB), installed %.4g  "
              "x%.2f / x%.2f  %s (target x%g)" % (
                  r, n["seconds"] * scale, unit, n["core"], "mse" if r == "D" else "acc",
                  n["metric"], n["rss"], rate, 100 * rate / row_peak, row_peak, fastest,
                  tf["seconds"] * scale,
                  "mse" if r == "D" else "acc", tf["metric"], tf["rss"], ti["seconds"] * scale,
                  speedup, speedup_inst, "PASS" if ok else "FAIL", target), flush=True)
        if r == "D":
            print("   steps to loss < 1e-4: netc %d, torch %d" % (n["steps"], tf["steps"]))
        elif r in "ABC":
            print("   test accuracy, seeds %s: netc %s, torch %s" % (
                SEEDS, " ".join("%.2f" % a for a in n["accs"]),
                " ".join("%.2f" % a for a in tf["accs"])))

    print("\n| row | netc | torch fastest | torch installed | fastest/netc | installed/netc "
          "| netc acc/mse | torch acc/mse | RSS netc / torch (MiB) | netc GEMM rate | result |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r, n, tf, ti, fastest, sp, spi, rate, peak, ok, target in table:
        scale, unit = (1000, " ms/step") if r == "D" else (1, " s")
        print("| %s | %.3g%s | %.3g%s (%s) | %.3g%s | %.2f× | %.2f× | %.4g | %.4g | %.0f / %.0f | "
              "%.0f GFLOP/s, %.0f%% of %.0f | %s (≥ %g×) |" % (
                  r, n["seconds"] * scale, unit, tf["seconds"] * scale, unit, fastest,
                  ti["seconds"] * scale, unit, sp, spi, n["metric"], tf["metric"], n["rss"],
                  tf["rss"], rate, 100 * rate / peak, peak, "PASS" if ok else "FAIL", target))


if __name__ == "__main__":
    main()
