#!/usr/bin/env python3
"""The PyTorch side of `npm run bench`: NectarGAN's path, PIL decode + PyTorch on the CPU, same definitions
as fixtures/make_fixtures.py. Prints one JSON line: mean, compute_ms, maxrss_kb.
Usage: torch_ref.py LOSS REAL FAKE [--maps OUTDIR] [--weights VGG19.pth]
       torch_ref.py --batch REALDIR FAKEDIR OUTDIR sobel,laplacian [heatmap|all]
torchvision is imported for every loss, as NectarGAN's nectargan/losses/losses.py does at import time.
For vgg, like NectarGAN's VGGPerceptual: torch.load of the whole weights file into torchvision's vgg19."""
import json
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

KERNELS = {'x': [[1, 0, -1], [2, 0, -2], [1, 0, -1]], 'y': [[1, 2, 1], [0, 0, 0], [-1, -2, -1]], 'lap': [[0, 1, 0], [1, -4, 1], [0, 1, 0]]}


def load(p):
    a = np.asarray(Image.open(p).convert('RGB'), dtype=np.float32) / np.float32(255)
    return torch.from_numpy(a.transpose(2, 0, 1).copy())[None]


def conv(g, k):
    return F.conv2d(g, torch.tensor(KERNELS[k], dtype=torch.float32).view(1, 1, 3, 3), padding=1)


def loss_map(loss, real, fake):
    gr, gf = real.mean(1, keepdim=True), fake.mean(1, keepdim=True)
    if loss == 'sobel':
        mr = torch.sqrt(conv(gr, 'x') ** 2 + conv(gr, 'y') ** 2 + 1e-6)
        mf = torch.sqrt(conv(gf, 'x') ** 2 + conv(gf, 'y') ** 2 + 1e-6)
    else:
        mr, mf = conv(gr, 'lap'), conv(gf, 'lap')
    return (mf - mr).abs()


def filtered(loss, img):
    g = img.mean(1, keepdim=True)
    return torch.sqrt(conv(g, 'x') ** 2 + conv(g, 'y') ** 2 + 1e-6) if loss == 'sobel' else conv(g, 'lap')


def u8(t):
    return Image.fromarray((t[0, 0].clamp(0, 1) * 255).round().to(torch.uint8).numpy(), 'L')


def figure(real, fake, fr, ff, heat):
    """A 4W x 2H RGB composite like nectar-loss's default figure (a 2 x 2 grid, the heatmap at twice its
    size), pasted with PIL: no text, no matplotlib, so a lower bound on what NectarGAN's figure costs."""
    w, h = heat.size
    out = Image.new('RGB', (4 * w, 2 * h))
    for i, im in enumerate([real, fake, fr, ff]):
        out.paste(im.convert('RGB'), ((i % 2) * w, (i // 2) * h))
    out.paste(heat.convert('RGB').resize((2 * w, 2 * h), Image.NEAREST), (2 * w, 0))
    return out


def batch(real_dir, fake_dir, out_dir, losses, kinds='heatmap'):
    """One process looping over pairs: decode, each loss, a heatmap PNG per pair and loss; with kinds
    `all` also the filtered real and fake and a figure (4 PNGs per pair and loss, as nectar-loss's default)."""
    import os
    t0 = time.perf_counter()
    for name in sorted(os.listdir(real_dir)):
        real, fake = load(os.path.join(real_dir, name)), load(os.path.join(fake_dir, name))
        with torch.no_grad():
            for loss in losses:
                m = loss_map(loss, real, fake)
                heat = u8(m)
                heat.save(os.path.join(out_dir, f'{name}.{loss}.heatmap.png'))
                if kinds != 'all':
                    continue
                fr, ff = u8(filtered(loss, real)), u8(filtered(loss, fake))
                fr.save(os.path.join(out_dir, f'{name}.{loss}.real.png'))
                ff.save(os.path.join(out_dir, f'{name}.{loss}.fake.png'))
                rgb = [Image.fromarray((x[0].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()) for x in (real, fake)]
                figure(*rgb, fr, ff, heat).save(os.path.join(out_dir, f'{name}.{loss}.figure.png'))
    ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({'compute_ms': ms, 'maxrss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def main():
    if sys.argv[1] == '--batch':
        return batch(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(','), *sys.argv[6:7])
    loss, real_p, fake_p = sys.argv[1:4]
    opts = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    maps = opts.get('--maps')
    real, fake = load(real_p), load(fake_p)
    t0 = time.perf_counter()
    if loss == 'vgg':
        model = torchvision.models.vgg19()
        model.load_state_dict(torch.load(opts['--weights']))
        feats = model.features.eval()
        t0 = time.perf_counter()
        with torch.no_grad():
            total, r, f = 0.0, real, fake
            for b in (feats[:4], feats[4:9], feats[9:16]):
                r, f = b(r), b(f)
                total += float(F.l1_loss(f, r))
        ms = (time.perf_counter() - t0) * 1000
        print(json.dumps({'mean': total, 'compute_ms': ms, 'maxrss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
        return
    with torch.no_grad():
        m = loss_map(loss, real, fake)
        mean = float(m.mean())
    ms = (time.perf_counter() - t0) * 1000
    if maps:
        lv = (m[0, 0].clamp(0, 1) * 255).round().to(torch.uint8).numpy()
        Image.fromarray(lv, 'L').save(f'{maps}/heatmap.png')
    print(json.dumps({'mean': mean, 'compute_ms': ms, 'maxrss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == '__main__':
    main()
