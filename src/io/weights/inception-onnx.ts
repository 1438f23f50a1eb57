import { convsFor, type FidDims, type TorchBasicConv } from '../../losses/inception-layout.js';
import { foldConv } from '../../losses/inception.js';
import { encodeOnnx, type OnnxAttributes, type OnnxGraph } from '../onnx.js';

/**
 * The FID Inception network (pytorch-fid 0.3.0's layout, the same as losses/inception.ts) as an ONNX model,
 * built in memory from the state_dict's BasicConv2d parameters, each batch norm folded into its conv by
 * foldConv. Input `x`: [N, 299, 299, 3] in [-1, 1] (NHWC, as fidInput makes it), transposed to NCHW in the
 * graph; output `features`: [N, dims], the chosen block's output averaged over space.
 */
export const ONNX_INPUT = 'x';
export const ONNX_OUTPUT = 'features';

class Builder {
  readonly graph: OnnxGraph;
  private count = 0;
  private readonly byName: Map<string, TorchBasicConv>;

  constructor(convs: TorchBasicConv[], dims: FidDims) {
    this.byName = new Map(convs.map((c) => [c.name, c]));
    this.graph = {
      nodes: [],
      initializers: [],
      input: { name: ONNX_INPUT, shape: ['N', 299, 299, 3] },
      output: { name: ONNX_OUTPUT, shape: ['N', dims] },
    };
    for (const spec of convsFor(dims)) {
      const t = this.byName.get(spec.name);
      if (!t) throw new Error(`Inception conv ${spec.name} missing`);
      const { kernel, bias } = foldConv(spec, t);
      this.graph.initializers.push(
        { name: `${spec.name}.w`, dims: [spec.cout, spec.cin, spec.kh, spec.kw], data: kernel },
        { name: `${spec.name}.b`, dims: [spec.cout], data: bias },
      );
    }
  }

  op(op: string, inputs: string[], attributes?: OnnxAttributes, output = `t${this.count++}`): string {
    this.graph.nodes.push({ op, inputs, output, attributes });
    return output;
  }

  /** BasicConv2d with its batch norm folded: Conv (with bias) then Relu. */
  conv(x: string, name: string): string {
    const spec = convsFor(2048).find((c) => c.name === name);
    if (!spec) throw new Error(`Inception conv ${name} unknown`);
    const { kh, kw, stride, ph, pw } = spec;
    const y = this.op('Conv', [x, `${name}.w`, `${name}.b`], {
      kernel_shape: [kh, kw],
      strides: [stride, stride],
      pads: [ph, pw, ph, pw],
    });
    return this.op('Relu', [y]);
  }

  chain(x: string, names: string[]): string {
    return names.reduce((a, n) => this.conv(a, n), x);
  }

  cat(xs: string[]): string {
    return this.op('Concat', xs, { axis: 1 });
  }

  maxPool(x: string, stride: 1 | 2): string {
    const pads = stride === 1 ? [1, 1, 1, 1] : [0, 0, 0, 0];
    return this.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [stride, stride], pads });
  }

  /** avg_pool2d(3, stride 1, padding 1, count_include_pad=False), as FIDInceptionA/C/E_1. */
  avgPool(x: string): string {
    const a = { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 0 };
    return this.op('AveragePool', [x], a);
  }
}

function blockA(b: Builder, x: string, m: string): string {
  const b1 = b.conv(x, `${m}.branch1x1`);
  const b5 = b.chain(x, [`${m}.branch5x5_1`, `${m}.branch5x5_2`]);
  const b3 = b.chain(
    x,
    [1, 2, 3].map((i) => `${m}.branch3x3dbl_${i}`),
  );
  return b.cat([b1, b5, b3, b.conv(b.avgPool(x), `${m}.branch_pool`)]);
}

function blockB(b: Builder, x: string, m: string): string {
  const b3 = b.conv(x, `${m}.branch3x3`);
  const bd = b.chain(
    x,
    [1, 2, 3].map((i) => `${m}.branch3x3dbl_${i}`),
  );
  return b.cat([b3, bd, b.maxPool(x, 2)]);
}

function blockC(b: Builder, x: string, m: string): string {
  const b1 = b.conv(x, `${m}.branch1x1`);
  const b7 = b.chain(
    x,
    [1, 2, 3].map((i) => `${m}.branch7x7_${i}`),
  );
  const bd = b.chain(
    x,
    [1, 2, 3, 4, 5].map((i) => `${m}.branch7x7dbl_${i}`),
  );
  return b.cat([b1, b7, bd, b.conv(b.avgPool(x), `${m}.branch_pool`)]);
}

function blockD(b: Builder, x: string, m: string): string {
  const b3 = b.chain(x, [`${m}.branch3x3_1`, `${m}.branch3x3_2`]);
  const b7 = b.chain(
    x,
    [1, 2, 3, 4].map((i) => `${m}.branch7x7x3_${i}`),
  );
  return b.cat([b3, b7, b.maxPool(x, 2)]);
}

/** FIDInceptionE_1 (average pool, Mixed_7b) or FIDInceptionE_2 (max pool, Mixed_7c). */
function blockE(b: Builder, x: string, m: string, maxPool: boolean): string {
  const b1 = b.conv(x, `${m}.branch1x1`);
  const t3 = b.conv(x, `${m}.branch3x3_1`);
  const b3 = b.cat([b.conv(t3, `${m}.branch3x3_2a`), b.conv(t3, `${m}.branch3x3_2b`)]);
  const td = b.chain(x, [`${m}.branch3x3dbl_1`, `${m}.branch3x3dbl_2`]);
  const bd = b.cat([b.conv(td, `${m}.branch3x3dbl_3a`), b.conv(td, `${m}.branch3x3dbl_3b`)]);
  const pooled = maxPool ? b.maxPool(x, 1) : b.avgPool(x);
  return b.cat([b1, b3, bd, b.conv(pooled, `${m}.branch_pool`)]);
}

/** The graph of the network up to the block of `dims`. */
export function inceptionGraph(convs: TorchBasicConv[], dims: FidDims): OnnxGraph {
  const b = new Builder(convs, dims);
  let x = b.op('Transpose', [ONNX_INPUT], { perm: [0, 3, 1, 2] });
  x = b.maxPool(b.chain(x, ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3']), 2);
  if (dims >= 192) x = b.maxPool(b.chain(x, ['Conv2d_3b_1x1', 'Conv2d_4a_3x3']), 2);
  if (dims >= 768) {
    for (const m of ['Mixed_5b', 'Mixed_5c', 'Mixed_5d']) x = blockA(b, x, m);
    x = blockB(b, x, 'Mixed_6a');
    for (const m of ['Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e']) x = blockC(b, x, m);
  }
  if (dims >= 2048) {
    x = blockD(b, x, 'Mixed_7a');
    x = blockE(b, x, 'Mixed_7b', false);
    x = blockE(b, x, 'Mixed_7c', true);
  }
  b.op('Flatten', [b.op('GlobalAveragePool', [x])], { axis: 1 }, ONNX_OUTPUT);
  return b.graph;
}

/** The ONNX model bytes of the network for `dims`. */
export function inceptionOnnx(convs: TorchBasicConv[], dims: FidDims): Uint8Array {
  return encodeOnnx(inceptionGraph(convs, dims));
}
