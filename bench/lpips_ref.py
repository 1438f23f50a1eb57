#!/usr/bin/env python3
"""The lpips side of `npm run bench`: lpips.LPIPS(net='alex', version='0.1') as researchers run it (PIL decode,
then the model on PyTorch's CPU, in float32), with its AlexNet trunk loaded from a torchvision-layout file.
The lpips package's code is the one vendored for the fixtures (fixtures/third_party/lpips, BSD-2-Clause).
Prints one JSON line: value, compute_ms, maxrss_kb.   Usage: lpips_ref.py REAL FAKE ALEXNET.pth"""
import json
import os
import resource
import sys
import time

t0 = time.perf_counter()
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'fixtures', 'third_party'))
import lpips  # noqa: E402
import lpips.pretrained_networks as pn  # noqa: E402

real_p, fake_p, trunk = sys.argv[1:4]


ALEXNET = torchvision.models.alexnet  # pn.tv is torchvision.models: keep the constructor before patching it


def alexnet(pretrained=False, **kw):
    m = ALEXNET()
    m.load_state_dict(torch.load(trunk, map_location='cpu'))
    return m


pn.tv.alexnet = alexnet
model = lpips.LPIPS(net='alex', version='0.1', model_path=os.path.join(ROOT, 'weights', 'lpips', 'v0.1', 'alex.pth'), verbose=False).eval()


def load(p):
    a = np.asarray(Image.open(p).convert('RGB'), dtype=np.float32) / np.float32(255)
    return torch.from_numpy(a.transpose(2, 0, 1).copy())[None] * 2 - 1


with torch.no_grad():
    v = float(model(load(real_p), load(fake_p)))
print(json.dumps({'value': v, 'compute_ms': (time.perf_counter() - t0) * 1000, 'maxrss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
