import { UserError } from '../../errors.js';

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
  reducers: Record<string, Reducer>;
  /** Globals that may appear as plain values (storage types), by `module.name`. */
  classes: ReadonlySet<string>;
  persistentLoad?: (pid: unknown) => unknown;
  /** For messages. */
  label: string;
}

const MARK = Symbol('mark');

/** Unpickles one pickle starting at `start`; returns the value and the offset just past its STOP. */
export function unpickle(buf: Buffer, start: number, opt: UnpickleOptions): { value: unknown; end: number } {
  let pos = start;
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const fail = (msg: string): never => {
    throw new UserError(`${opt.label}: ${msg}`);
  };
  const need = (n: number) => {
    if (pos + n > buf.length) fail('truncated pickle');
  };
  const u8 = () => (need(1), buf[pos++]!);
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
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
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
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        bytes(8);
        break; // FRAME (length only)
      case 0x2e:
        return { value: pop(), end: pos }; // STOP
      case 0x28:
        stack.push(MARK);
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
        stack.push(longLE(bytes(u8())));
        break; // LONG1
      case 0x8b:
        stack.push(longLE(bytes(i32())));
        break; // LONG4
      case 0x49: {
        // INT (protocol 0)
        const s = line();
        stack.push(s === '00' ? false : s === '01' ? true : Number(s));
        break;
      }
      case 0x4c:
        stack.push(Number(line().replace(/L$/, '')));
        break; // LONG (protocol 0)
      case 0x47:
        need(8);
        stack.push(buf.readDoubleBE(pos));
        pos += 8;
        break; // BINFLOAT
      case 0x46:
        stack.push(Number(line()));
        break; // FLOAT
      case 0x58:
        stack.push(bytes(u32()).toString('utf8'));
        break; // BINUNICODE
      case 0x8c:
        stack.push(bytes(u8()).toString('utf8'));
        break; // SHORT_BINUNICODE
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
      case 0x55:
        stack.push(bytes(u8()).toString('latin1'));
        break; // SHORT_BINSTRING
      case 0x42:
        stack.push(new Uint8Array(bytes(u32())));
        break; // BINBYTES
      case 0x43:
        stack.push(new Uint8Array(bytes(u8())));
        break; // SHORT_BINBYTES
      case 0x56:
        stack.push(line());
        break; // UNICODE (raw-unicode-escape; ASCII in practice)
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop(),
          a = pop();
        stack.push([a, b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop(),
          b = pop(),
          a = pop();
        stack.push([a, b, c]);
        break;
      } // TUPLE3
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        const v = pop();
        asList(top()).push(v);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        asList(top()).push(...items);
        break;
      } // APPENDS
      case 0x7d:
        stack.push(new PyDict());
        break; // EMPTY_DICT
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new PyDict();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: {
        const v = pop(),
          k = pop();
        asDict(top()).set(k, v);
        break;
      } // SETITEM
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = asDict(top());
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x70:
        memo.set(Number(line()), top());
        break; // PUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68: {
        const k = u8();
        stack.push(memo.has(k) ? memo.get(k) : fail('pickle memo miss'));
        break;
      } // BINGET
      case 0x6a: {
        const k = u32();
        stack.push(memo.has(k) ? memo.get(k) : fail('pickle memo miss'));
        break;
      } // LONG_BINGET
      case 0x67: {
        const k = Number(line());
        stack.push(memo.has(k) ? memo.get(k) : fail('pickle memo miss'));
        break;
      } // GET
      case 0x63: {
        const module = line(),
          name = line();
        stack.push(global(module, name));
        break;
      } // GLOBAL
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
        stack.push(r!(args as unknown[]));
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
