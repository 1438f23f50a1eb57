#!/usr/bin/env python3
"""pytorch-fid's whole computation (python3 -m pytorch_fid equivalent) on Debian's torch with the seeded
weights of fixtures/make_fid_fixtures.py, for `npm run bench`'s FID row:
    /usr/bin/python3 bench/fid_ref.py <real> <fake> [dims]
    /usr/bin/python3 bench/fid_ref.py --write-weights <file.pth>   # once; then FID_REF_WEIGHTS=<file.pth>
With FID_REF_WEIGHTS the weights are read from that file (torch.load), as pytorch-fid reads torch.hub's cached
file; without it they are generated in Python (tens of seconds of CPU, counted in the run).
pytorch-fid's calculate_fid_given_paths (batch 50, num_workers min(8, cpus) as its CLI) with its weights
download replaced by the seeded state_dict. Prints JSON: fid, compute_ms, maxrss_kb, cpu_ms (user + system of this process and its
data-loader workers).
"""
import json
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'fixtures'))
import make_fid_fixtures as mk  # noqa: E402
from pytorch_fid import inception as fid_inception  # noqa: E402
from pytorch_fid.fid_score import calculate_fid_given_paths  # noqa: E402


def seeded():
    template = fid_inception._inception_v3(num_classes=1008, aux_logits=False, weights=None).state_dict()
    return mk.seeded_state_dict(template)


def main():
    if sys.argv[1] == '--write-weights':
        # The seeded state_dict saved once, outside the timed run, as torch.hub keeps the real file.
        import torch
        torch.save(seeded(), sys.argv[2])
        return
    real, fake = sys.argv[1], sys.argv[2]
    dims = int(sys.argv[3]) if len(sys.argv) > 3 else 2048
    saved = os.environ.get('FID_REF_WEIGHTS')
    t = time.time()

    def fake_load(url, progress=True):
        if saved:
            import torch
            return torch.load(saved, map_location='cpu')
        return seeded()

    fid_inception.load_state_dict_from_url = fake_load
    workers = min(8, len(os.sched_getaffinity(0)))
    fid = calculate_fid_given_paths([real, fake], 50, 'cpu', dims, workers)
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_ms = (me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime) * 1000
    print(json.dumps({'fid': float(fid), 'compute_ms': (time.time() - t) * 1000,
                      'maxrss_kb': me.ru_maxrss, 'cpu_ms': cpu_ms}))


if __name__ == '__main__':
    main()
