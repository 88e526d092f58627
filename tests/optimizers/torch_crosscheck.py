#!/usr/bin/env python3
"""Cross-check of the optimizer tests against torch.optim itself (by hand; ctest does not run it).

    python3 tests/optimizers/torch_crosscheck.py BUILD_DIR [TEST_NAME_REGEX]

Runs every optim_* test of BUILD_DIR (not the --wrong ones) again with --dump, replays the same
θ and gradients through torch.optim in float64 (clip_grad_value_ / clip_grad_norm_ first when
the configuration clips), and prints the largest absolute difference from the generated update
after the 3 steps.
"""
import json, re, subprocess, sys

import torch


def replay(dump):
    lines = [l.split() for l in dump.splitlines()]
    name = next(l[1] for l in lines if l[0] == "optimizer")
    lr, mu, wd = (float(x) for x in next(l[1:] for l in lines if l[0] == "hyper"))
    cfg = {k: float(v) for k, v in (x.split("=") for x in next(l[1:] for l in lines if l[0] == "config"))}
    tensors = [(l[1], int(l[2])) for l in lines if l[0] == "tensor"]
    theta0 = [float(x) for x in next(l[1:] for l in lines if l[0] == "theta0")]
    grads = [[float(x) for x in l[1:]] for l in lines if l[0] == "grad"]
    thetas = [[float(x) for x in l[1:]] for l in lines if l[0] == "theta"]

    params, own, rest, at = [], [], [], 0
    for tname, size in tensors:
        p = torch.tensor(theta0[at:at + size], dtype=torch.float64, requires_grad=True)
        params.append((p, at, size))
        (own if cfg["layer_wd"] >= 0 and tname.startswith("dense1_") else rest).append(p)
        at += size
    groups = [{"params": rest}] + ([{"params": own, "weight_decay": cfg["layer_wd"]}] if own else [])
    if name in ("sgd", "momentum", "nesterov"):
        opt = torch.optim.SGD(groups, lr=lr, momentum=mu, dampening=cfg["dampening"],
                              nesterov=bool(cfg["nesterov"]), weight_decay=wd)
    elif name == "adagrad":
        opt = torch.optim.Adagrad(groups, lr=lr, lr_decay=cfg["lr_decay"], weight_decay=wd,
                                  initial_accumulator_value=cfg["initial_accumulator_value"],
                                  eps=cfg["eps"])
    elif name == "rmsprop":
        opt = torch.optim.RMSprop(groups, lr=lr, alpha=cfg["alpha"], eps=cfg["eps"], weight_decay=wd,
                                  momentum=mu, centered=bool(cfg["centered"]))
    else:
        cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
        opt = cls(groups, lr=lr, betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"], weight_decay=wd)

    worst = 0.0
    for g, want in zip(grads, thetas):
        for p, at, size in params:
            p.grad = torch.tensor(g[at:at + size], dtype=torch.float64)
        ps = [p for p, _, _ in params]
        if cfg["clip_value"]:
            torch.nn.utils.clip_grad_value_(ps, cfg["clip_value"])
        if cfg["clip_norm"]:
            torch.nn.utils.clip_grad_norm_(ps, cfg["clip_norm"])
        opt.step()
        got = torch.cat([p.detach() for p in ps])
        worst = max(worst, (got - torch.tensor(want, dtype=torch.float64)).abs().max().item())
    return name, worst


def main():
    build = sys.argv[1]
    pattern = re.compile(sys.argv[2] if len(sys.argv) > 2 else "")
    info = json.loads(subprocess.run(["ctest", "--test-dir", build, "-R", "^optim_", "--show-only=json-v1"],
                                     check=True, capture_output=True, text=True).stdout)
    for test in info["tests"]:
        if "--wrong" in test["command"] or not pattern.search(test["name"]):
            continue
        out = subprocess.run(test["command"] + ["--dump"], capture_output=True, text=True).stdout
        name, worst = replay(out)
        print(f"{test['name']:45} {name:9} max |generated - torch| = {worst:.3g}")


if __name__ == "__main__":
    main()
