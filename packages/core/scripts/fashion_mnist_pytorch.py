"""PyTorch's CIFAR ResNet (the fixtures' reference, on one input channel) trained on the tensors
fashion-mnist-pytorch.mjs dumps (the training part of the split and the test set, mean subtracted)
with the fashion-mnist recipe it writes: SGD with momentum, weight decay on every weight, a step
schedule (and ResNet-110's warm-up), pad + random crop and (for clothing) random flips and
torchvision's random erasing (the set's augmentation in recipe.json, as core's MNIST_SETS says)
drawn per image. Prints the test error at each evaluation and, over the seeds, the mean test accuracy.

usage: fashion_mnist_pytorch.py <data dir> <seeds, comma-separated>
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms as T

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "fixtures"))
from make_fixtures import CifarResNet  # noqa: E402

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
data, seeds = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
r = json.load(open(os.path.join(data, "recipe.json")))


def load(name):
    x = np.fromfile(os.path.join(data, f"{name}_x.bin"), np.float32).reshape(-1, 28, 28, 1)
    y = np.fromfile(os.path.join(data, f"{name}_y.bin"), np.int32).astype(np.int64)
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y)


xtr, ytr = load("train")
xte, yte = load("test")
s = r["schedule"]
milestones = s["decay"]["milestones"]
warm = s.get("warmup")
e = r.get("erase")
# value 0 on the mean-subtracted images: the mean image, as core's data/augment/random_erasing.ts.
erase = T.RandomErasing(p=e["probability"], scale=tuple(e["area"]), ratio=tuple(e["aspect"]), value=0) if e else None


def rate(it, train_error, warm_done):
    if warm and not warm_done:
        return warm["learningRate"]
    return s["base"] * s["decay"]["factor"] ** sum(it >= m for m in milestones)


def augment(x):
    n = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4))
    dx, dy = np.random.randint(0, 9, n), np.random.randint(0, 9, n)
    out = torch.stack([padded[i, :, dy[i] : dy[i] + 28, dx[i] : dx[i] + 28] for i in range(n)])
    if r["flip"]:
        flip = torch.from_numpy(np.random.rand(n) < 0.5)
        out[flip] = out[flip].flip(3)
    if erase:
        out = torch.stack([erase(image) for image in out])
    return out


def evaluate(model):
    model.eval()
    wrong = 0
    with torch.no_grad():
        # In batches of the training's size: at 1,000 images the activations leave the caches and an
        # evaluation took 30 s here instead of 5.
        for i in range(0, len(xte), 128):
            wrong += (model(xte[i : i + 128]).argmax(1) != yte[i : i + 128]).sum().item()
    return wrong / len(xte)


accuracies = []
for seed in seeds:
    torch.manual_seed(seed)
    np.random.seed(seed)
    n = (r["depth"] - 2) // 6
    model = CifarResNet([n, n, n], in_channels=1)
    opt = torch.optim.SGD(model.parameters(), lr=s["base"], momentum=r["momentum"], weight_decay=r["weightDecay"])
    perm, pos, warm_done, bs = torch.randperm(len(xtr)), 0, False, r["batchSize"]
    for it in range(r["iterations"]):
        if pos + bs > len(xtr):
            perm, pos = torch.randperm(len(xtr)), 0
        idx = perm[pos : pos + bs]
        pos += bs
        model.train()
        logits = model(augment(xtr[idx]))
        loss = F.cross_entropy(logits, ytr[idx])
        train_error = (logits.argmax(1) != ytr[idx]).float().mean().item()
        if warm and not warm_done and (train_error < warm.get("untilTrainError", 0) or it >= warm["maxIterations"]):
            warm_done = True
        for group in opt.param_groups:
            group["lr"] = rate(it, train_error, warm_done)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (it + 1) % r["evalEvery"] == 0 or it + 1 == r["iterations"]:
            print(f"seed {seed} iteration {it + 1}: loss {loss.item():.4f}, test error {evaluate(model) * 100:.2f}%", flush=True)
    accuracies.append(1 - evaluate(model))
    print(f"seed {seed}: test accuracy {accuracies[-1] * 100:.2f}%", flush=True)
print(f"ResNet-{r['depth']}, {len(seeds)} seed(s): mean test accuracy {np.mean(accuracies) * 100:.2f}%")
