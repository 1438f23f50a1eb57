#!/usr/bin/env python3
"""The scikit-image side of `npm run bench`: SSIM as researchers compute it (PIL decode, then
structural_similarity with gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1,
channel_axis=-1). Prints one JSON line: value, compute_ms, maxrss_kb.  Usage: skimage_ref.py REAL FAKE"""
import json
import resource
import sys
import time

import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity

t0 = time.perf_counter()
r = np.asarray(Image.open(sys.argv[1]).convert('RGB'), dtype=np.float32) / np.float32(255)
f = np.asarray(Image.open(sys.argv[2]).convert('RGB'), dtype=np.float32) / np.float32(255)
v = structural_similarity(r, f, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1, channel_axis=-1)
print(json.dumps({'value': float(v), 'compute_ms': (time.perf_counter() - t0) * 1000, 'maxrss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
