import { UserError } from '../../errors.js';
import {
  BASIC_CONV_KEYS,
  FC_SHAPE,
  convsFor,
  type FidDims,
  type TorchBasicConv,
} from '../../losses/inception-layout.js';
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import { INCEPTION_HUB } from './env.js';
import { locateHub, type WeightsOptions } from './vgg19.js';

/**
 * The FID Inception network's weights (pytorch-fid's `pt_inception-2015-12-05-6726825d.pth`, or any file in
 * its state_dict layout): found by --inception-weights, $NECTAR_LOSS_INCEPTION_WEIGHTS, torch.hub's cache
 * (`checkpoints/pt_inception-2015-12-05-6726825d.pth`), else downloaded there with its SHA-256 prefix checked.
 */
export async function locateInception(opt: WeightsOptions = {}): Promise<string> {
  return locateHub(INCEPTION_HUB, opt);
}

const shapeOf = (ck: Checkpoint, key: string) => ck.tensors.get(key)?.shape.join(', ');

/** Refuses a file that is not the FID Inception network, from its index alone (before any tensor is read). */
function checkLayout(ck: Checkpoint, label: string): void {
  const fc = shapeOf(ck, 'fc.weight');
  if (fc === undefined) {
    throw new UserError(
      `${label}: not the FID Inception network: no fc.weight (is it an Inception3 state_dict?)`,
    );
  }
  if (fc !== FC_SHAPE.join(', ')) {
    throw new UserError(
      `${label}: not the FID Inception network: fc.weight is [${fc}], FID's has [${FC_SHAPE.join(', ')}] ` +
        `(1008 classes; torchvision's ImageNet Inception has 1000)`,
    );
  }
  for (const spec of convsFor(2048)) {
    const want = [spec.cout, spec.cin, spec.kh, spec.kw].join(', ');
    for (const suffix of BASIC_CONV_KEYS) {
      const key = `${spec.name}.${suffix}`;
      const got = shapeOf(ck, key);
      const expect = suffix === 'conv.weight' ? want : String(spec.cout);
      if (got === undefined) throw new UserError(`${label}: not the FID Inception network: ${key} missing`);
      if (got !== expect) {
        throw new UserError(
          `${label}: not the FID Inception network: ${key} is [${got}], expected [${expect}]`,
        );
      }
    }
  }
}

/** Checks that `file` is the FID Inception network, reading only its index. */
export async function checkInceptionFile(file: string): Promise<void> {
  const label = `FID Inception weights ${file}`;
  const ck = await openCheckpoint(file, label);
  try {
    checkLayout(ck, label);
  } finally {
    ck.close();
  }
}

/** The BasicConv2d parameters `dims` needs, after checking the whole file's layout. */
export async function loadInception(file: string, dims: FidDims = 2048): Promise<TorchBasicConv[]> {
  const label = `FID Inception weights ${file}`;
  const ck = await openCheckpoint(file, label);
  try {
    checkLayout(ck, label);
    return convsFor(dims).map(({ name }) => ({
      name,
      weight: ck.read(`${name}.conv.weight`),
      gamma: ck.read(`${name}.bn.weight`),
      beta: ck.read(`${name}.bn.bias`),
      mean: ck.read(`${name}.bn.running_mean`),
      variance: ck.read(`${name}.bn.running_var`),
    }));
  } finally {
    ck.close();
  }
}
