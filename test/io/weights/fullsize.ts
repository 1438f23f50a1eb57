import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { loadVgg19 } from '../../../src/io/weights/vgg19.js';

/**
 * Writes a full-size VGG19 checkpoint in the legacy layout (like torchvision's 2017 file: 548 MiB, every
 * tensor of vgg19's state_dict at its real shape) as a sparse file: the seven convs the loss needs carry the
 * fixture's values, all other storages are holes. A pickle writer of the few opcodes such a file uses.
 */
const CONVS: [number, number, number][] = [
  [0, 64, 3],
  [2, 64, 64],
  [5, 128, 64],
  [7, 128, 128],
  [10, 256, 128],
  [12, 256, 256],
  [14, 256, 256],
  [16, 256, 256],
  [19, 512, 256],
  [21, 512, 512],
  [23, 512, 512],
  [25, 512, 512],
  [28, 512, 512],
  [30, 512, 512],
  [32, 512, 512],
  [34, 512, 512],
];
const FCS: [number, number, number][] = [
  [0, 4096, 25088],
  [3, 4096, 4096],
  [6, 1000, 4096],
];

export function vgg19Shapes(): [string, number[]][] {
  const out: [string, number[]][] = [];
  for (const [i, o, c] of CONVS) {
    out.push([`features.${i}.weight`, [o, c, 3, 3]], [`features.${i}.bias`, [o]]);
  }
  for (const [i, o, c] of FCS) out.push([`classifier.${i}.weight`, [o, c]], [`classifier.${i}.bias`, [o]]);
  return out;
}

class Pickler {
  parts: Buffer[] = [Buffer.from([0x80, 0x02])];
  op(...b: number[]) {
    this.parts.push(Buffer.from(b));
    return this;
  }
  int(n: number) {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(n, 1);
    this.parts.push(b);
    return this;
  }
  str(s: string) {
    const d = Buffer.from(s, 'utf8'),
      h = Buffer.alloc(5);
    h[0] = 0x58;
    h.writeUInt32LE(d.length, 1);
    this.parts.push(h, d);
    return this;
  }
  global(m: string, n: string) {
    this.parts.push(Buffer.from(`c${m}\n${n}\n`, 'latin1'));
    return this;
  }
  tuple(items: number[]) {
    this.op(0x28);
    items.forEach((x) => this.int(x));
    return this.op(0x74);
  }
  stop() {
    return Buffer.concat(this.op(0x2e).parts);
  }
}

export async function writeFullSizeLegacy(path: string, fixtureWeights: string): Promise<{ bytes: number }> {
  const convs = new Map((await loadVgg19(fixtureWeights)).map((c) => [c.index, c]));
  const shapes = vgg19Shapes();
  const magic = new Pickler().op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop();
  const proto = new Pickler().op(0x4d, 0xe9, 0x03).stop();
  const sys = new Pickler()
    .op(0x7d, 0x28)
    .str('protocol_version')
    .op(0x4d, 0xe9, 0x03)
    .str('little_endian')
    .op(0x88)
    .op(0x75)
    .stop();
  const obj = new Pickler().global('collections', 'OrderedDict').op(0x29, 0x52, 0x28);
  shapes.forEach(([name, shape], k) => {
    const numel = shape.reduce((a, b) => a * b, 1);
    const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    obj.str(name).global('torch._utils', '_rebuild_tensor_v2').op(0x28);
    obj
      .op(0x28)
      .str('storage')
      .global('torch', 'FloatStorage')
      .str(String(k))
      .str('cpu')
      .int(numel)
      .op(0x4e, 0x74, 0x51);
    obj
      .int(0)
      .tuple(shape)
      .tuple(stride)
      .op(0x89)
      .global('collections', 'OrderedDict')
      .op(0x29, 0x52, 0x74, 0x52);
  });
  const keys = new Pickler().op(0x28);
  shapes.forEach((_, k) => keys.str(String(k)));
  const head = Buffer.concat([magic, proto, sys, obj.op(0x75).stop(), keys.op(0x6c).stop()]);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head, 0, head.length, 0);
    let pos = head.length;
    for (const [name, shape] of shapes) {
      const numel = shape.reduce((a, b) => a * b, 1);
      const n = Buffer.alloc(8);
      n.writeBigInt64LE(BigInt(numel));
      writeSync(fd, n, 0, 8, pos);
      const m = /^features\.(\d+)\.(weight|bias)$/.exec(name);
      const c = m ? convs.get(Number(m[1])) : undefined;
      if (c) {
        const v = m![2] === 'weight' ? c.weight : c.bias;
        writeSync(fd, Buffer.from(v.buffer, v.byteOffset, v.byteLength), 0, v.byteLength, pos + 8);
      }
      pos += 8 + numel * 4;
    }
    ftruncateSync(fd, pos);
    return { bytes: pos };
  } finally {
    closeSync(fd);
  }
}
