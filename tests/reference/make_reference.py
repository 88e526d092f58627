#!/usr/bin/python3
"""Write the PyTorch reference dumps of tests/reference (run by hand; the test reads the dumps).

    OMP_NUM_THREADS=1 /usr/bin/python3 tests/reference/make_reference.py [CASE ...]

Debian's python3-torch (the `python3` first on PATH may be another interpreter without torch).
For each case, CASE.net beside this script has its torch.nn.Sequential equivalent here (one
module per netc layer, so the state_dict names are the ones netc's --save writes: "0.weight",
"1.running_mean", ...). The script draws a small synthetic data set (SAMPLES samples of 4
classes, fixed seed), the initial weights (torch's own default initialisation, in float32) and
the order of the batches (one permutation per epoch), trains the network with torch.optim and
torch.optim.lr_scheduler in float64 from those float32 weights, and writes CASE.ref.safetensors:

    0.weight, 0.bias, ..., N.running_mean, ...   F32 (counters I64)  the initial state
    x                                            F32 [SAMPLES, in] or [SAMPLES, C, H, W]
    y                                            I64 [SAMPLES]       the classes
    batches                                      I64 [steps, batch]  the samples of each step
    lr                                           F64 [steps]         the learning rate of each step
    momentum                                     F64 [steps]         its momentum (0: none)
    loss                                         F64 [steps]         the loss of each step's batch,
                                                                     before that step's update
    final.0.weight, ..., final.N.running_mean    F64 (counters I64)  the state after the last step

float64 makes torch's run the exact answer to the computation (to ~1e-15), so that what the test
measures is netc's own error in float32, not the sum of two float32 errors. safetensors is
written here by hand (Debian has no python3-safetensors): an 8-byte little-endian header
length, the JSON header (space-padded to a multiple of 8), then the raw little-endian data.
The output is a function of the script, the torch version and nothing else: the same torch
writes the same bytes.
"""
import json
import os
import struct
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch loads its thread pool

import torch
import torch.nn as nn
import torch.nn.functional as F

SAMPLES = 256  # reference.c's REF_SAMPLES: the harness expects exactly this many
CLASSES = 4
HERE = os.path.dirname(os.path.abspath(__file__))


# ---- the cases: each CASE.net's network, optimizer, schedule and train block, as torch has them

def mlp_sgd():
    return nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))


def mlp_momentum():
    return nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(),
                         nn.Linear(32, 4))


def mlp_adam():
    return nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 4))


def mlp_one_cycle():
    return nn.Sequential(nn.Linear(16, 32), nn.SiLU(), nn.Linear(32, 4))


def one_cycle_groups(net):
    """dense1's own weight_decay=0.05 for its W and b, the optimizer's 0.01 for the rest."""
    return [{"params": net[0].parameters(), "weight_decay": 0.05},
            {"params": net[2].parameters()}]


def cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 4))


def norms():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AvgPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 3 * 3, 16), nn.BatchNorm1d(16), nn.Mish(),
                         nn.Linear(16, 16), nn.LayerNorm(16), nn.Softplus(), nn.Linear(16, 4))


# input: the shape of one sample; noise: the data's noise (images need more to stay hard);
# optim(params) and sched(opt) build torch's optimizer and scheduler, groups(net) the parameter
# groups when a layer has its own weight decay; sched_per_step: the scheduler steps after every
# optimizer step (netc's `per = step`, and one_cycle always) rather than after every epoch.
# epochs and batch are the .net file's train block (the harness checks them: the shape of
# `batches` is [epochs * SAMPLES / batch, batch]).
CASES = {
    "mlp_sgd": dict(net=mlp_sgd, input=(16,), epochs=6, batch=32,
                    optim=lambda p: torch.optim.SGD(p, lr=0.1)),
    "mlp_momentum": dict(net=mlp_momentum, input=(16,), epochs=6, batch=32,
                         optim=lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9,
                                                         weight_decay=0.01),
                         sched=lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2,
                                                                         gamma=0.5),
                         sched_per_step=False),
    "mlp_adam": dict(net=mlp_adam, input=(16,), epochs=6, batch=32,
                     optim=lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.001),
                     sched=lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=48,
                                                                                eta_min=0.001),
                     sched_per_step=True),
    "mlp_one_cycle": dict(net=mlp_one_cycle, input=(16,), epochs=6, batch=32,
                          groups=one_cycle_groups,
                          optim=lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                                          weight_decay=0.01),
                          sched=lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.2,
                                                                              total_steps=48),
                          sched_per_step=True),
    "cnn": dict(net=cnn, input=(1, 8, 8), epochs=6, batch=32, noise=2.0,
                optim=lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "norms": dict(net=norms, input=(1, 8, 8), epochs=6, batch=32, noise=2.0,
                  optim=lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
}


# ---- the data: 4 classes that a small network learns in a few epochs, but not at once

def make_data(shape, gen, noise):
    """SAMPLES samples of the given shape: each class a random pattern (a smooth one for images,
    so that a 3x3 convolution has something to find), plus noise of the same size."""
    y = torch.arange(SAMPLES) % CLASSES
    y = y[torch.randperm(SAMPLES, generator=gen)]
    if len(shape) == 1:
        centres = torch.randn(CLASSES, *shape, generator=gen)
    else:
        coarse = torch.randn(CLASSES, shape[0], shape[1] // 2, shape[2] // 2, generator=gen)
        centres = F.interpolate(coarse, size=shape[1:], mode="bilinear", align_corners=False)
    x = centres[y] + noise * torch.randn(SAMPLES, *shape, generator=gen)
    return x.float(), y.long()


# ---- safetensors, by hand

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def write_safetensors(path, tensors, metadata):
    header, blobs, at = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [at, at + len(data)]}
        blobs.append(data)
        at += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


# ---- one case

def run_case(name, case):
    torch.manual_seed(1)  # the initial weights: torch's default init, in float32
    net = case["net"]().float()
    initial = {k: v.clone() for k, v in net.state_dict().items()}

    gen = torch.Generator().manual_seed(2)  # the data and the order of the batches
    x, y = make_data(case["input"], gen, case.get("noise", 1.0))
    batch, epochs = case["batch"], case["epochs"]
    assert SAMPLES % batch == 0, "every batch full: the harness counts SAMPLES / batch per epoch"
    per_epoch = SAMPLES // batch
    batches = torch.cat([torch.randperm(SAMPLES, generator=gen).view(per_epoch, batch)
                         for _ in range(epochs)])

    net = net.double()
    net.train()
    opt = case["optim"](case["groups"](net) if "groups" in case else net.parameters())
    sched = case["sched"](opt) if "sched" in case else None
    xd = x.double()
    lrs, momenta, losses = [], [], []
    for step, idx in enumerate(batches):
        lrs.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0].get("momentum", 0.0))  # Adam has none: netc's is 0
        loss = F.cross_entropy(net(xd[idx]), y[idx])
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched and (case["sched_per_step"] or (step + 1) % per_epoch == 0):
            sched.step()

    tensors = dict(initial)
    tensors.update(x=x, y=y, batches=batches, lr=torch.tensor(lrs, dtype=torch.float64),
                   momentum=torch.tensor(momenta, dtype=torch.float64),
                   loss=torch.tensor(losses, dtype=torch.float64))
    tensors.update({"final." + k: v for k, v in net.state_dict().items()})
    metadata = {"case": name, "net": name + ".net", "torch": torch.__version__,
                "written_by": "tests/reference/make_reference.py"}
    path = os.path.join(HERE, name + ".ref.safetensors")
    write_safetensors(path, tensors, metadata)
    print(f"{path}: {len(batches)} steps of {batch}, loss {losses[0]:.4f} -> {losses[-1]:.4f}, "
          f"{os.path.getsize(path)} bytes")


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    names = sys.argv[1:] or list(CASES)
    for name in names:
        if name not in CASES:
            sys.exit(f"make_reference.py: no case '{name}'; the cases: {', '.join(CASES)}")
        run_case(name, CASES[name])


if __name__ == "__main__":
    main()
