import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, fixture } from '../helpers.js';

/**
 * Seeded fuzzing of the decoders and weight readers through the CLI: fixture PNG, JPEG and .pth bytes are
 * mutated (bit flips, truncation, inserted junk, forged header fields, zeroed runs), and every run must end
 * with exit 0 or 2 within a time limit, with no internal error or stack trace and, on 2, nothing on stdout
 * and no file left in --out.
 */
export interface FuzzFinding {
  name: string;
  problem: string;
}

/** mulberry32: a small seeded generator, so every case is reproducible from its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One mutation of `src`; `hot` bounds where byte edits land (headers and indexes are where parsers break).
 */
export function mutate(src: Buffer, seed: number, hot = src.length): Buffer {
  const r = rng(seed);
  const at = (n = hot) => Math.floor(r() * Math.min(n, src.length));
  const buf = Buffer.from(src);
  switch (Math.floor(r() * 6)) {
    case 0: // flip 1-8 bits
      for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++) buf[at()] ^= 1 << Math.floor(r() * 8);
      return buf;
    case 1: // truncate
      return buf.subarray(0, at(src.length));
    case 2: {
      // insert junk
      const p = at(),
        junk = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
      return Buffer.concat([buf.subarray(0, p), junk, buf.subarray(p)]);
    }
    case 3: {
      // forge a 32-bit field with an extreme value
      const p = Math.min(at(), buf.length - 4);
      if (p >= 0) buf.writeUInt32BE([0xffffffff, 0x7fffffff, 0x00030d40, 0][Math.floor(r() * 4)], p);
      return buf;
    }
    case 4: // zero a run
      {
        const p = at();
        buf.fill(0, p, Math.min(buf.length, p + Math.floor(r() * 256)));
      }
      return buf;
    default: // overwrite with random bytes
      for (let i = 0, p = at(), n = Math.floor(r() * 32); i < n && p + i < buf.length; i++)
        buf[p + i] = Math.floor(r() * 256);
      return buf;
  }
}

interface Target {
  kind: string;
  file: string;
  hot: number;
  ext: string;
  /** CLI arguments, the mutated file's path substituted for {}. */
  args: string[];
}

function targets(): Target[] {
  const gray = (s: 'real' | 'fake') => fixture(`fixtures/images/gray8_64x48_${s}.png`);
  return [
    { kind: 'png', file: gray('fake'), hot: 4096, ext: '.png', args: ['sobel', gray('real'), '{}'] },
    {
      kind: 'png16',
      file: fixture('fixtures/images/gray16_72x60_fake.png'),
      hot: 4096,
      ext: '.png',
      args: ['laplacian', '{}', fixture('fixtures/images/gray16_72x60_real.png')],
    },
    {
      kind: 'jpeg',
      file: fixture('fixtures/images/jpeg_exif6_120x88_fake.jpg'),
      hot: 2048,
      ext: '.jpg',
      args: ['l1', fixture('fixtures/images/jpeg_exif6_120x88_real.jpg'), '{}'],
    },
    {
      kind: 'pth-legacy',
      file: fixture('fixtures/weights/vgg19-legacy.pth'),
      hot: 8192,
      ext: '.pth',
      args: ['vgg', gray('real'), gray('fake'), '--weights', '{}', '--no-download'],
    },
    {
      kind: 'pth-zip',
      file: fixture('fixtures/weights/vgg19-zip.pth'),
      hot: 8192,
      ext: '.pth',
      args: ['vgg', gray('real'), gray('fake'), '--weights', '{}', '--no-download'],
    },
  ];
}

function runCli(
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd });
    let stdout = '',
      stderr = '',
      timedOut = false;
    const timer = setTimeout(() => ((timedOut = true), p.kill('SIGKILL')), timeoutMs);
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on(
      'close',
      (code, signal) => (clearTimeout(timer), resolve({ code, signal, stdout, stderr, timedOut })),
    );
  });
}

/**
 * Runs `count` cases spread over the targets, `jobs` at a time; returns what went wrong (empty: all good).
 */
export async function fuzz(
  count: number,
  seed = 1,
  jobs = 2,
  timeoutMs = 60_000,
  log?: (s: string) => void,
): Promise<FuzzFinding[]> {
  const ts = targets();
  const originals = ts.map((t) => readFileSync(t.file));
  const findings: FuzzFinding[] = [];
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count; i = next++) {
      const ti = i % ts.length,
        t = ts[ti],
        caseSeed = seed * 100003 + i;
      const name = `${t.kind}#${caseSeed}`;
      const dir = mkdtempSync(path.join(tmpdir(), 'nl-fuzz-'));
      const file = path.join(dir, `case${t.ext}`);
      writeFileSync(file, mutate(originals[ti], caseSeed, t.hot));
      const r = await runCli([...t.args.map((a) => (a === '{}' ? file : a)), '--out', 'out'], dir, timeoutMs);
      const problem = r.timedOut
        ? `no exit within ${timeoutMs} ms`
        : r.code !== 0 && r.code !== 2
          ? `exit ${r.code ?? r.signal}`
          : /internal error|\n\s+at /.test(r.stderr)
            ? `stack trace or internal error: ${r.stderr.trim().split('\n')[0]}`
            : r.code === 2 && (r.stdout !== '' || r.stderr.trimEnd().split('\n').length !== 1)
              ? 'exit 2 without exactly one stderr line and an empty stdout'
              : r.code === 2 && readdirSync(dir).includes('out')
                ? 'exit 2 left files in --out'
                : undefined;
      log?.(`${name}: exit ${r.code}${problem ? `  PROBLEM: ${problem}` : ''}`);
      if (problem) findings.push({ name, problem });
    }
  };
  await Promise.all(Array.from({ length: jobs }, lane));
  return findings;
}
