"""The reference for `review`'s benchmark: what a NectarGAN user scripts by hand (and what the Toolbox's
Review panel does before graphing): json.load the whole loss log, then numpy's per-epoch mean, min and
max of every loss. Prints {"ms", "maxrss_kb"}."""
import json
import math
import resource
import sys
import time

import numpy as np

t = time.perf_counter()
with open(sys.argv[1]) as f:
    log = json.load(f)['LOSSMANAGER_LOG']
per_epoch = math.ceil(log['dataset_length'] / int(sys.argv[2]))
out = {}
for name, entry in log['loss_functions'].items():
    v = np.asarray(entry['loss'], dtype=np.float64)
    e = np.arange(len(v)) // per_epoch
    n = np.bincount(e)
    out[name] = (np.bincount(e, v) / n, np.minimum.reduceat(v, np.r_[0, np.cumsum(n)[:-1]]),
                 np.maximum.reduceat(v, np.r_[0, np.cumsum(n)[:-1]]))
print(json.dumps({'ms': (time.perf_counter() - t) * 1000,
                  'maxrss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
