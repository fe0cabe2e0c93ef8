#!/usr/bin/python3
"""The PyTorch side of the web app's pretrained-weights test (app.test.ts).

    /usr/bin/python3 apps/web/test/make_pretrained.py OUT_DIR IMAGE.png [IMAGE.png ...]

Writes to OUT_DIR:
  resnet18-f37072fd.pth   torchvision's ResNet-18 with random weights (seed 0), saved as torch.save
                          saves a state dict, under the catalogue's file name (so the page applies
                          that entry's preprocessing); BN statistics and affine parameters are
                          randomised, so inference really uses what was loaded
  legacy.pth              a small state dict in the pre-1.6 (non-zip) format
  not_a_resnet.pth        the state dict of a small network that is no ResNet
and prints JSON: for every image, PyTorch's top 5 (index, torchvision's class name, probability)
through ResNet18_Weights.IMAGENET1K_V1.transforms() (resize the shorter side to 256, bilinear,
centre crop 224, ImageNet mean and std): the catalogue entry's preprocessing, as torchvision defines it.

Needs Debian's python3-torch and python3-torchvision (torch 1.13, torchvision 0.14).
"""

import json
import os
import sys

import torch
import torchvision
from PIL import Image

out = sys.argv[1]
images = sys.argv[2:]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
torch.set_num_threads(1)
model = torchvision.models.resnet18(weights=None).eval()
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0, 0.1)
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.num_batches_tracked.fill_(3)
torch.save(model.state_dict(), os.path.join(out, "resnet18-f37072fd.pth"))

small = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8 * 30 * 30, 2))
torch.save(small.state_dict(), os.path.join(out, "not_a_resnet.pth"))
torch.save(small.state_dict(), os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)

weights = torchvision.models.ResNet18_Weights.IMAGENET1K_V1
preprocess = weights.transforms()
categories = weights.meta["categories"]
result = {"torch": torch.__version__, "torchvision": torchvision.__version__, "preprocessing": repr(preprocess), "images": {}}
with torch.no_grad():
    for path in images:
        x = preprocess(Image.open(path).convert("RGB")).unsqueeze(0)
        p = model(x).softmax(1)[0]
        top = p.topk(5)
        result["images"][os.path.basename(path)] = [
            {"index": int(i), "name": categories[int(i)], "probability": float(v)} for v, i in zip(top.values, top.indices)
        ]
print(json.dumps(result))
