import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A long training's experiment folder for `review`'s benchmark: loss_log.json as NectarGAN's LossManager
 * writes it (json.dump: `", "` between values) for `epochs` epochs of a `dataset`-image dataset at batch
 * size 1 and eight losses (G_GAN, G_L1, G_L2, G_SOBEL, G_LAP, G_VGG, D_real, D_fake), each value beside
 * its weight: 200 x 3000 x 8 x 2 = 9.6 M values, 121 MB. Values decay over training with seeded noise.
 */
export function writeBigExperiment(dir: string, epochs = 200, dataset = 3000): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'train1_config.json'),
    JSON.stringify({
      config: { dataloader: { batch_size: 1 }, train: { load: { continue_train: false, load_epoch: 1 } } },
    }),
  );
  const n = epochs * dataset,
    fd = openSync(path.join(dir, 'loss_log.json'), 'w');
  writeSync(fd, `{"LOSSMANAGER_LOG": {"device": "cuda", "dataroot": "/data", "dataset_length": ${dataset}, `);
  writeSync(fd, '"experiment": "big_v1", "loss_functions": {');
  const losses: [string, number][] = [
    ['G_GAN', 1],
    ['G_L1', 100],
    ['G_L2', 10],
    ['G_SOBEL', 5],
    ['G_LAP', 2],
    ['G_VGG', 10],
    ['D_real', 1],
    ['D_fake', 1],
  ];
  let s = 12345;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  losses.forEach(([name, w], k) => {
    writeSync(fd, `${k ? ', ' : ''}"${name}": {"loss": [`);
    for (let i = 0; i < n; i += 100_000) {
      const part: string[] = [];
      for (let j = i; j < Math.min(n, i + 100_000); j++)
        part.push(String(w * (0.3 + 0.7 * Math.exp((-3 * j) / n)) * (0.8 + 0.4 * rnd())));
      writeSync(fd, (i ? ', ' : '') + part.join(', '));
    }
    writeSync(fd, '], "weights": [' + new Array<string>(n).fill(w.toFixed(1)).join(', ') + ']}');
  });
  writeSync(fd, '}}}');
  closeSync(fd);
  return path.join(dir, 'loss_log.json');
}
