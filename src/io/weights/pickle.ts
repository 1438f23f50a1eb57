import { UserError } from '../../errors.js';

/** A weights file that is not what it should be. */
const bad = (message: string) => new UserError(message, 'BAD_WEIGHTS');

/**
 * A Python pickle interpreter for PyTorch checkpoints that executes nothing from the file, like torch.load's
 * weights_only mode: GLOBAL may only name the callables a state_dict needs (the allow-list below), and
 * REDUCE calls our own stand-in for each. Any other global is refused. Persistent ids (storages) are handed
 * to the caller's `persistentLoad`.
 *
 * Values: None -> null, bool, int -> number (bigint past 2^53), float, str, bytes -> Uint8Array,
 * tuple/list -> array, dict/OrderedDict -> PyDict (a Map with insertion order).
 */
export class PyDict extends Map<unknown, unknown> {}

/** A global the allow-list admits, as it sits on the stack before REDUCE. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

export type Reducer = (args: unknown[]) => unknown;

export interface UnpickleOptions {
  /** Callables REDUCE may invoke, by `module.name`. */
  reducers: Partial<Record<string, Reducer>>;
  /** Globals that may appear as plain values (storage types), by `module.name`. */
  classes: ReadonlySet<string>;
  persistentLoad?: (pid: unknown) => unknown;
  /** For messages. */
  label: string;
}

const MARK = Symbol('mark');

/** Unpickles one pickle starting at `start`; returns the value and the offset just past its STOP. */
// The pickle machine is one switch over its opcodes, read best as one table: split, it would only scatter it.
// eslint-disable-next-line max-lines-per-function
export function unpickle(buf: Buffer, start: number, opt: UnpickleOptions): { value: unknown; end: number } {
  let pos = start;
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const fail: (msg: string) => never = (msg) => {
    throw bad(`${opt.label}: ${msg}`);
  };
  const need = (n: number) => {
    if (pos + n > buf.length) fail('truncated pickle');
  };
  const u8 = () => (need(1), buf[pos++]);
  const u16 = () => (need(2), (pos += 2), buf.readUInt16LE(pos - 2));
  const i32 = () => (need(4), (pos += 4), buf.readInt32LE(pos - 4));
  const u32 = () => (need(4), (pos += 4), buf.readUInt32LE(pos - 4));
  const bytes = (n: number) => {
    if (n < 0 || n > buf.length) fail('corrupt length in pickle');
    need(n);
    pos += n;
    return buf.subarray(pos - n, pos);
  };
  const line = () => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) fail('truncated pickle');
    const s = buf.toString('latin1', pos, nl);
    pos = nl + 1;
    return s;
  };
  const pop = () => (stack.length ? stack.pop() : fail('pickle stack underflow'));
  const top = () => (stack.length ? stack[stack.length - 1] : fail('pickle stack underflow'));
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('pickle MARK missing');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const asDict = (d: unknown): PyDict => (d instanceof PyDict ? d : fail('pickle SETITEM on a non-dict'));
  const asList = (l: unknown): unknown[] => (Array.isArray(l) ? l : fail('pickle APPEND on a non-list'));
  const longLE = (b: Buffer): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const global = (module: string, name: string): PyGlobal => {
    const q = `${module}.${name}`;
    if (!(q in opt.reducers) && !opt.classes.has(q)) {
      fail(`refusing to load: the pickle names ${q}, which a weights file has no need for`);
    }
    return new PyGlobal(module, name);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95:
        bytes(8);
        break; // FRAME (length only)
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(longLE(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(longLE(bytes(i32())));
        break;
      case 0x49: {
        // INT (protocol 0)
        const s = line();
        stack.push(s === '00' ? false : s === '01' ? true : Number(s));
        break;
      }
      case 0x4c:
        stack.push(Number(line().replace(/L$/, '')));
        break; // LONG (protocol 0)
      case 0x47: // BINFLOAT
        need(8);
        stack.push(buf.readDoubleBE(pos));
        pos += 8;
        break;
      case 0x46: // FLOAT
        stack.push(Number(line()));
        break;
      case 0x58: // BINUNICODE
        stack.push(bytes(u32()).toString('utf8'));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(bytes(u8()).toString('utf8'));
        break;
      case 0x8d: {
        // BINUNICODE8
        need(8);
        const n = Number(buf.readBigUInt64LE(pos));
        pos += 8;
        stack.push(bytes(n).toString('utf8'));
        break;
      }
      case 0x54:
        stack.push(bytes(i32()).toString('latin1'));
        break; // BINSTRING (Python 2 str)
      case 0x55: // SHORT_BINSTRING
        stack.push(bytes(u8()).toString('latin1'));
        break;
      case 0x42: // BINBYTES
        stack.push(new Uint8Array(bytes(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(new Uint8Array(bytes(u8())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape; ASCII in practice)
        stack.push(line());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop(),
          a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop(),
          b = pop(),
          a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        asList(top()).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        asList(top()).push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new PyDict();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop(),
          k = pop();
        asDict(top()).set(k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = asDict(top());
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT
        memo.set(Number(line()), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: {
        // BINGET
        const k = u8();
        stack.push(memo.has(k) ? memo.get(k) : fail('pickle memo miss'));
        break;
      }
      case 0x6a: {
        // LONG_BINGET
        const k = u32();
        stack.push(memo.has(k) ? memo.get(k) : fail('pickle memo miss'));
        break;
      }
      case 0x67: {
        // GET
        const k = Number(line());
        stack.push(memo.has(k) ? memo.get(k) : fail('pickle memo miss'));
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line(),
          name = line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop(),
          module = pop();
        if (typeof name !== 'string' || typeof module !== 'string') fail('bad STACK_GLOBAL');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop(),
          fn = pop();
        if (!(fn instanceof PyGlobal) || !Array.isArray(args)) {
          fail('REDUCE on something that is not an allowed callable');
        }
        const r = opt.reducers[(fn as PyGlobal).qualified];
        if (!r) fail(`refusing to call ${(fn as PyGlobal).qualified}`);
        stack.push(r(args as unknown[]));
        break;
      }
      case 0x62: {
        // BUILD: only the attribute dict of an OrderedDict (state_dict()._metadata) is accepted, and dropped
        const state = pop();
        if (!(top() instanceof PyDict) || !(state instanceof PyDict || state === null)) {
          fail('BUILD on an object a weights file should not hold');
        }
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        stack.push(opt.persistentLoad ? opt.persistentLoad(pid) : fail('unexpected persistent id'));
        break;
      }
      case 0x50: {
        // PERSID
        const pid = line();
        stack.push(opt.persistentLoad ? opt.persistentLoad(pid) : fail('unexpected persistent id'));
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}
