import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import yauzl from 'yauzl';
import { UserError } from '../../errors.js';

/** A weights file that is not what it should be. */
const bad = (message: string) => new UserError(message, 'BAD_WEIGHTS');
import { PyDict, PyGlobal, unpickle, type Reducer } from './pickle.js';

/**
 * Reads tensors from PyTorch checkpoints and safetensors files without loading them whole: the small pickle
 * (or JSON header) is parsed for names, shapes and storage locations, and only the tensors asked for are
 * read, each with one positioned read. Layouts:
 *  - zip (torch >= 1.6): `<prefix>/data.pkl` + one stored record per storage, `<prefix>/data/<key>`;
 *  - legacy (torch < 1.6, `_use_new_zipfile_serialization=False`): pickles in a row — magic number
 *    0x1950a86a20f9469cfc6c, protocol version 1001, sys_info, the object, the sorted storage keys — then each
 *    storage as int64 element count + raw little-endian data, in key order;
 *  - safetensors: u64 header length, JSON header, data.
 * Tensors are rebuilt by `torch._utils._rebuild_tensor_v2` or the pre-0.4 `_rebuild_tensor`.
 */
export interface TensorInfo {
  shape: number[];
}

export interface Checkpoint {
  format: 'zip' | 'legacy' | 'safetensors';
  /** Every tensor in the file by state_dict key (nested dicts joined with '.'). */
  tensors: Map<string, TensorInfo>;
  /** The tensor's values as float32, row-major. */
  read(name: string): Float32Array;
  close(): void;
}

type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64';
const ELEMENT_SIZE: Record<DType, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8 };
/** int64: batch norm's num_batches_tracked counters (the FID Inception file holds 94); never read as weights. */
const STORAGE_TYPES: Partial<Record<string, DType>> = {
  'torch.FloatStorage': 'float32',
  'torch.LongStorage': 'int64',
  'torch.DoubleStorage': 'float64',
  'torch.HalfStorage': 'float16',
  'torch.BFloat16Storage': 'bfloat16',
};
const SAFETENSORS_DTYPES: Partial<Record<string, DType>> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
};
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

interface Storage {
  key: string;
  dtype: DType;
  numel: number;
  /** Element offset into the root storage (legacy views), usually 0. */
  base: number;
}

/** A tensor as the pickle describes it, before any data is read. */
class TensorRef {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

function ints(v: unknown, what: string, label: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
    throw bad(`${label}: bad tensor ${what}`);
  }
  return v as number[];
}

function rebuild(label: string): Reducer {
  // (storage, storage_offset, size, stride, [requires_grad, backward_hooks, metadata]) — only the first four
  // matter.
  return (a) => {
    const [storage, offset, size, stride] = a;
    if (!(storage && typeof storage === 'object' && 'dtype' in storage) || typeof offset !== 'number') {
      throw bad(`${label}: bad tensor record`);
    }
    return new TensorRef(
      storage as Storage,
      offset,
      ints(size, 'size', label),
      ints(stride, 'stride', label),
    );
  };
}

function reducers(label: string): Record<string, Reducer> {
  return {
    'collections.OrderedDict': (a) => {
      const d = new PyDict();
      if (Array.isArray(a[0])) for (const kv of a[0]) if (Array.isArray(kv)) d.set(kv[0], kv[1]);
      return d;
    },
    'torch._utils._rebuild_tensor_v2': rebuild(label),
    'torch._utils._rebuild_tensor': rebuild(label),
    'torch._utils._rebuild_parameter': (a) => a[0],
  };
}

/** ('storage', storage_type, key, location, numel[, view_metadata]) -> Storage. */
function storageLoader(label: string, storages: Map<string, Storage>) {
  return (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof PyGlobal)) {
      throw bad(`${label}: unsupported persistent id in pickle`);
    }
    const dtype = STORAGE_TYPES[pid[1].qualified];
    if (!dtype) throw bad(`${label}: unsupported storage type ${pid[1].qualified}`);
    const key = String(pid[2]);
    const numel = Number(pid[4]);
    if (!Number.isSafeInteger(numel) || numel < 0) throw bad(`${label}: bad storage size`);
    let s = storages.get(key);
    if (!s) storages.set(key, (s = { key, dtype, numel, base: 0 }));
    const view: unknown = pid[5];
    if (Array.isArray(view)) {
      // Pre-1.0 storage views: (view_key, offset, view_size) into the root storage `key`.
      const [, off, vsize] = view as [unknown, number, number];
      return { key, dtype, numel: Number(vsize), base: Number(off) };
    }
    return s;
  };
}

const ALLOWED_CLASSES = new Set(Object.keys(STORAGE_TYPES));

/** Flattens the unpickled object into key -> TensorRef (a state_dict, or a dict holding one). */
function collect(obj: unknown, label: string): Map<string, TensorRef> {
  const out = new Map<string, TensorRef>();
  const walk = (v: unknown, prefix: string) => {
    if (v instanceof TensorRef) out.set(prefix, v);
    else if (v instanceof PyDict) {
      for (const [k, x] of v) {
        walk(x, prefix ? `${prefix}.${String(k)}` : String(k));
      }
    }
  };
  walk(obj, '');
  if (!out.size) throw bad(`${label}: no tensors found (not a state_dict?)`);
  return out;
}

class FileReader {
  readonly fd: number;
  readonly size: number;
  constructor(
    readonly path: string,
    readonly label: string,
  ) {
    try {
      this.fd = openSync(path, 'r');
      const st = fstatSync(this.fd);
      if (st.isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
      this.size = st.size;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UserError(
        `${label}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? (err as Error).message)}`,
        code === 'ENOENT' ? 'ENOENT' : code === 'EACCES' ? 'EACCES' : 'BAD_WEIGHTS',
      );
    }
  }
  read(pos: number, len: number, into?: ArrayBuffer): Buffer {
    if (pos < 0 || len < 0 || pos + len > this.size) {
      throw bad(`${this.label}: truncated (needs bytes ${pos}..${pos + len}, file has ${this.size})`);
    }
    const b = into ? Buffer.from(into, 0, len) : Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, b, done, len - done, pos + done);
      if (n <= 0) throw bad(`${this.label}: unexpected end of file`);
      done += n;
    }
    return b;
  }
  close() {
    closeSync(this.fd);
  }
}

/** This machine stores floats little-endian, as the files do: float32 data is then read as it is. */
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * `count` elements of `dtype` at byte `pos` of the file, as float32: read straight into the result when they
 * are float32.
 */
function readFloat32(f: FileReader, pos: number, dtype: DType, count: number): Float32Array {
  if (dtype !== 'float32' || !LITTLE_ENDIAN) {
    return toFloat32(f.read(pos, count * ELEMENT_SIZE[dtype]), dtype, count);
  }
  const out = new Float32Array(count);
  f.read(pos, count * 4, out.buffer);
  return out;
}

function toFloat32(raw: Buffer, dtype: DType, count: number): Float32Array {
  const out = new Float32Array(count);
  switch (dtype) {
    case 'float32':
      for (let i = 0; i < count; i++) out[i] = raw.readFloatLE(i * 4);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = raw.readDoubleLE(i * 8);
      break;
    case 'int64':
      for (let i = 0; i < count; i++) out[i] = Number(raw.readBigInt64LE(i * 8));
      break;
    case 'bfloat16': {
      const f = new Float32Array(1),
        u = new Uint32Array(f.buffer);
      for (let i = 0; i < count; i++) {
        u[0] = raw.readUInt16LE(i * 2) << 16;
        out[i] = f[0]!;
      }
      break;
    }
    case 'float16':
      for (let i = 0; i < count; i++) {
        const h = raw.readUInt16LE(i * 2),
          e = (h >> 10) & 0x1f,
          m = h & 0x3ff,
          s = h & 0x8000 ? -1 : 1;
        out[i] =
          e === 0
            ? s * m * 2 ** -24
            : e === 31
              ? m
                ? NaN
                : s * Infinity
              : s * (1 + m / 1024) * 2 ** (e - 15);
      }
      break;
  }
  return out;
}

/** Reads a (possibly strided) tensor whose storage data starts at byte `dataPos` of the file. */
function readTensor(f: FileReader, t: TensorRef, dataPos: number, storageBytes: number): Float32Array {
  const es = ELEMENT_SIZE[t.storage.dtype];
  const numel = t.shape.reduce((a, b) => a * b, 1);
  if (numel === 0) return new Float32Array(0);
  // Highest element index touched, relative to the tensor's first element.
  const span = t.shape.reduce((a, d, i) => a + (d - 1) * t.stride[i], 0) + 1;
  const first = t.storage.base + t.offset;
  if ((first + span) * es > storageBytes) {
    throw bad(`${f.label}: tensor runs past the end of its storage`);
  }
  const raw = readFloat32(f, dataPos + first * es, t.storage.dtype, span);
  let contiguous = true;
  for (let i = t.shape.length - 1, expect = 1; i >= 0; expect *= t.shape[i], i--)
    if (t.shape[i] > 1 && t.stride[i] !== expect) {
      contiguous = false;
    }
  if (contiguous) return raw.length === numel ? raw : raw.slice(0, numel);
  const out = new Float32Array(numel);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let n = 0; n < numel; n++) {
    let p = 0;
    for (let d = 0; d < idx.length; d++) p += idx[d] * t.stride[d];
    out[n] = raw[p]!;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < t.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * A checkpoint whose tensors come from a pickle: `locate` says where a storage's data starts and its size.
 */
function pickled(
  format: 'zip' | 'legacy',
  f: FileReader,
  refs: Map<string, TensorRef>,
  locate: (s: Storage) => { pos: number; bytes: number },
): Checkpoint {
  return {
    format,
    tensors: new Map([...refs].map(([k, t]) => [k, { shape: t.shape }])),
    read(name) {
      const t = refs.get(name);
      if (!t) throw bad(`${f.label}: no tensor ${name}`);
      const { pos, bytes } = locate(t.storage);
      return readTensor(f, t, pos, bytes);
    },
    close: () => f.close(),
  };
}

function zipEntries(path: string, label: string): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true, validateEntrySizes: false }, (err, zip) => {
      if (err) {
        return reject(bad(`${label}: not a readable zip checkpoint (${err.message})`));
      }
      const entries = new Map<string, yauzl.Entry>();
      zip.on('entry', (e: yauzl.Entry) => {
        entries.set(e.fileName, e);
        zip.readEntry();
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', (e: Error) => reject(bad(`${label}: corrupt zip checkpoint (${e.message})`)));
      zip.readEntry();
    });
  });
}

/** Byte offset of a stored (uncompressed) zip entry's data: past its local header, name and extra field. */
function zipDataOffset(f: FileReader, e: yauzl.Entry): number {
  if (e.compressionMethod !== 0) {
    throw bad(`${f.label}: record ${e.fileName} is compressed; PyTorch stores records uncompressed`);
  }
  const h = f.read(e.relativeOffsetOfLocalHeader, 30);
  if (h.readUInt32LE(0) !== 0x04034b50) {
    throw bad(`${f.label}: corrupt zip local header for ${e.fileName}`);
  }
  return e.relativeOffsetOfLocalHeader + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
}

async function openZip(f: FileReader): Promise<Checkpoint> {
  const entries = await zipEntries(f.path, f.label);
  const pkl = [...entries.keys()].find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (!pkl) throw bad(`${f.label}: zip file without data.pkl: not a PyTorch checkpoint`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = entries.get(`${prefix}byteorder`);
  if (order && f.read(zipDataOffset(f, order), order.uncompressedSize).toString() !== 'little') {
    throw bad(`${f.label}: big-endian checkpoints are not supported`);
  }
  const pe = entries.get(pkl)!;
  const storages = new Map<string, Storage>();
  const { value } = unpickle(f.read(zipDataOffset(f, pe), pe.uncompressedSize), 0, {
    reducers: reducers(f.label),
    classes: ALLOWED_CLASSES,
    persistentLoad: storageLoader(f.label, storages),
    label: f.label,
  });
  const refs = collect(value, f.label);
  return pickled('zip', f, refs, (st) => {
    const e = entries.get(`${prefix}data/${st.key}`);
    if (!e) throw bad(`${f.label}: storage record ${st.key} missing`);
    return { pos: zipDataOffset(f, e), bytes: e.uncompressedSize };
  });
}

function openLegacy(f: FileReader, head: Buffer): Checkpoint {
  const plain = { reducers: {}, classes: new Set<string>(), label: f.label };
  const magic = unpickle(head, 0, plain);
  if (magic.value !== LEGACY_MAGIC) {
    throw bad(`${f.label}: not a PyTorch checkpoint (unknown pickle, no legacy magic number)`);
  }
  const proto = unpickle(head, magic.end, plain);
  if (proto.value !== LEGACY_PROTOCOL) {
    throw bad(`${f.label}: unsupported legacy protocol version ${String(proto.value)}`);
  }
  const sys = unpickle(head, proto.end, plain);
  if (sys.value instanceof PyDict && sys.value.get('little_endian') === false) {
    throw bad(`${f.label}: big-endian checkpoints are not supported`);
  }
  const storages = new Map<string, Storage>();
  const obj = unpickle(head, sys.end, {
    reducers: reducers(f.label),
    classes: ALLOWED_CLASSES,
    persistentLoad: storageLoader(f.label, storages),
    label: f.label,
  });
  const keys = unpickle(head, obj.end, plain);
  if (!Array.isArray(keys.value)) {
    throw bad(`${f.label}: legacy checkpoint without its storage key list`);
  }
  // Storages follow in key order, each int64 count + data: positions follow from the counts in the pickle.
  const where = new Map<string, { pos: number; bytes: number }>();
  let cursor = keys.end;
  for (const k of keys.value as unknown[]) {
    const s = storages.get(String(k));
    if (!s) throw bad(`${f.label}: storage ${String(k)} listed but never used`);
    const bytes = s.numel * ELEMENT_SIZE[s.dtype];
    where.set(s.key, { pos: cursor + 8, bytes });
    cursor += 8 + bytes;
  }
  if (cursor > f.size) {
    throw bad(`${f.label}: truncated (storages need ${cursor} bytes, file has ${f.size})`);
  }
  const refs = collect(obj.value, f.label);
  return pickled('legacy', f, refs, (st) => {
    const w = where.get(st.key);
    if (!w) throw bad(`${f.label}: storage ${st.key} missing`);
    const count = f.read(w.pos - 8, 8).readBigInt64LE(0);
    if (Number(count) * ELEMENT_SIZE[st.dtype] !== w.bytes) {
      throw bad(
        `${f.label}: storage ${st.key} header says ${count} elements, the pickle says ` +
          `${w.bytes / ELEMENT_SIZE[st.dtype]}`,
      );
    }
    return w;
  });
}

/**
 * The legacy pickles are small but of unknown length: parse from a 1 MiB head, growing it if they run past.
 */
function openLegacyGrowing(f: FileReader): Checkpoint {
  for (let n = 2 ** 20; ; n *= 4) {
    const len = Math.min(n, f.size);
    try {
      return openLegacy(f, f.read(0, len));
    } catch (err) {
      if (len === f.size || !(err instanceof UserError) || !/truncated pickle/.test(err.message)) throw err;
    }
  }
}

function openSafetensors(f: FileReader): Checkpoint {
  const n = Number(f.read(0, 8).readBigUInt64LE(0));
  if (n > 100 * 2 ** 20 || 8 + n > f.size) {
    throw bad(`${f.label}: not a safetensors file (header length ${n})`);
  }
  // Untrusted JSON: every field is checked below.
  let header: Record<string, { dtype?: string; shape?: unknown; data_offsets?: unknown[] } | null>;
  try {
    header = JSON.parse(f.read(8, n).toString('utf8')) as typeof header;
  } catch {
    throw bad(`${f.label}: safetensors header is not JSON`);
  }
  const base = 8 + n;
  const infos = new Map<string, { shape: number[]; dtype: DType; start: number; end: number }>();
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    const dtype = v?.dtype === undefined ? undefined : SAFETENSORS_DTYPES[v.dtype];
    if (!v || !dtype) throw bad(`${f.label}: tensor ${k} has unsupported dtype ${String(v?.dtype)}`);
    const shape = ints(v.shape, 'shape', f.label);
    const [s, e] = v.data_offsets ?? [];
    if (
      typeof s !== 'number' ||
      typeof e !== 'number' ||
      e - s !== shape.reduce((a, b) => a * b, 1) * ELEMENT_SIZE[dtype]
    ) {
      throw bad(`${f.label}: tensor ${k} has inconsistent data offsets`);
    }
    if (base + e > f.size) {
      throw bad(`${f.label}: truncated (tensor ${k} ends past the end of the file)`);
    }
    infos.set(k, { shape, dtype, start: s, end: e });
  }
  return {
    format: 'safetensors',
    tensors: new Map([...infos].map(([k, v]) => [k, { shape: v.shape }])),
    read(name) {
      const v = infos.get(name);
      if (!v) throw bad(`${f.label}: no tensor ${name}`);
      return readFloat32(f, base + v.start, v.dtype, (v.end - v.start) / ELEMENT_SIZE[v.dtype]);
    },
    close: () => f.close(),
  };
}

/** Opens a checkpoint of any supported layout, recognised by its first bytes. */
export async function openCheckpoint(path: string, label = path): Promise<Checkpoint> {
  const f = new FileReader(path, label);
  try {
    if (f.size < 16) throw bad(`${label}: too short to be a weights file (${f.size} bytes)`);
    const start = f.read(0, 16);
    if (start.readUInt32LE(0) === 0x04034b50) return await openZip(f);
    if (start[8] === 0x7b /* '{' */) return openSafetensors(f);
    if (start[0] === 0x80) return openLegacyGrowing(f);
    throw bad(`${label}: not a PyTorch (.pth) or safetensors file`);
  } catch (err) {
    f.close();
    throw err;
  }
}

/**
 * A torchvision model's `features` convs by index N: state_dict keys `features.N.weight|bias` (the whole
 * model), `N.*` (a saved `features`) or `module.features.N.*` (a DataParallel save).
 */
export function featureKeys(names: Iterable<string>): Map<number, { weight?: string; bias?: string }> {
  const out = new Map<number, { weight?: string; bias?: string }>();
  for (const n of names) {
    const m = /^(?:module\.)?(?:features\.)?(\d+)\.(weight|bias)$/.exec(n);
    if (!m) continue;
    const e = out.get(Number(m[1])) ?? {};
    e[m[2] as 'weight' | 'bias'] = n;
    out.set(Number(m[1]), e);
  }
  return out;
}
