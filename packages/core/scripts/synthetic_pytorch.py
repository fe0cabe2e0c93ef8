"""ResNet-20 in PyTorch on the synthetic set's exact tensors (dumped by synthetic-pytorch.mjs), with the
`synthetic` recipe's shape: SGD 0.9, weight decay 1e-4, ÷10 at 5/8 and 7/8 of the run, optional
constant warm-up at 0.01. Used to choose that recipe's learning rate and warm-up.

usage: synthetic_pytorch.py <data dir> <iterations> <batch> <lr> <seed> <warm-up iterations>
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "fixtures"))
from make_fixtures import CifarResNet  # noqa: E402  (the fixtures' reference CIFAR ResNet)

# One thread: with two, PyTorch's spinning workers slow to a crawl beside any other busy process.
torch.set_num_threads(1)
data, iters, bs, lr, seed, warm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
torch.manual_seed(seed)
np.random.seed(seed)


def load(name):
    x = np.fromfile(os.path.join(data, f"{name}_x.bin"), np.float32).reshape(-1, 32, 32, 3)
    y = np.fromfile(os.path.join(data, f"{name}_y.bin"), np.int32).astype(np.int64)
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y)


xtr, ytr = load("train")
xte, yte = load("test")
model = CifarResNet([3, 3, 3])
opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
milestones = [int(iters * 0.625), int(iters * 0.875)]
perm, pos = torch.randperm(len(xtr)), 0
for it in range(iters):
    for group in opt.param_groups:
        group["lr"] = 0.01 if it < warm else lr * 0.1 ** sum(it >= m for m in milestones)
    if pos + bs > len(xtr):
        perm, pos = torch.randperm(len(xtr)), 0
    idx = perm[pos : pos + bs]
    pos += bs
    x = F.pad(xtr[idx], (4, 4, 4, 4))  # pad 4, random crop, flip (one draw per batch)
    dx, dy = np.random.randint(0, 9, 2)
    x = x[:, :, dy : dy + 32, dx : dx + 32]
    if np.random.rand() < 0.5:
        x = x.flip(3)
    model.train()
    loss = F.cross_entropy(model(x), ytr[idx])
    opt.zero_grad()
    loss.backward()
    opt.step()
    if (it + 1) % 50 == 0 or it + 1 == iters:
        model.eval()
        with torch.no_grad():
            err = (model(xte).argmax(1) != yte).float().mean().item()
        print(f"iteration {it + 1}: loss {loss.item():.3f}, test error {err * 100:.2f}%", flush=True)
