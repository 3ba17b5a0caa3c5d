// Safe decoder for the pickle subset that carbon clients and graphite-web send (protocols 0-5).
// It builds plain values only: any opcode that would import, call or construct an object (GLOBAL,
// REDUCE, BUILD, INST, ...) rejects the whole pickle, so nothing in a frame is ever executed.
// Opcode semantics follow CPython's Lib/pickletools.py; work and memory are bounded by the length
// of the pickle (every value costs at least one byte, declared lengths are checked before use) and,
// tighter, by a budget the caller derives from what the pickle may hold (objects, containers,
// nesting depth, memo entries, integer size), checked as the decoder runs: a hostile pickle stops
// at the first value over it (issue 9). decodePickleSliced() decodes in slices of a few
// milliseconds that yield to the event loop in between, so other connections keep being served.

/** A decoded pickle value. See {@linkcode decodePickle} for the mapping from Python types. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | PickleSet;

/** A Python dict: insertion order is the pickle's order, as in Python 3.7+. */
export type PickleDict = Map<PickleValue, PickleValue>;

/** A Python set or frozenset. */
export type PickleSet = Set<PickleValue>;

/**
 * A Python tuple: an array whose class tells it apart from a list (a plain array).
 *
 * @example
 * ```ts
 * const v = decodePickle(bytes);
 * if (v instanceof PickleTuple) { ... } else if (Array.isArray(v)) { ... } // tuple, then list
 * ```
 */
export class PickleTuple extends Array<PickleValue> {}

/** Builds a {@linkcode PickleTuple} from its items (the length-safe form of `new PickleTuple`). */
export function pickleTuple(...items: PickleValue[]): PickleTuple {
  const t = new PickleTuple(items.length);
  for (let i = 0; i < items.length; i++) t[i] = items[i];
  return t;
}

/** Limits for {@linkcode decodePickle}; each defaults to a value that real payloads never reach. */
export interface PickleDecodeOptions {
  /** Deepest nesting of containers (a list of tuples of tuples is 3). Default 64. */
  maxDepth?: number;
  /** Highest memo index + 1; never more than the pickle's length in bytes. Default 1 << 20. */
  maxMemo?: number;
  /** Largest integer, in bytes of two's complement (LONG1/LONG4, INT/LONG text). Default 64. */
  maxIntBytes?: number;
  /**
   * Most values the pickle may create (containers and scalars; a memo GET or DUP creates none).
   * Default: no limit beyond the pickle's length.
   */
  maxObjects?: number;
  /**
   * Most heavy values it may create: containers (tuples, lists, dicts, sets), and bytes and big
   * integers, which cost as much memory. Default: `maxObjects`.
   */
  maxContainers?: number;
}

/** Which budget of {@linkcode PickleDecodeOptions} (or of the caller's) a pickle went over. */
export type PickleBudget = "objects" | "containers" | "depth" | "memo" | "integer" | "points";

/**
 * A pickle refused for going over a budget rather than for being malformed. A SyntaxError like
 * every other refusal, with the budget named so that callers can count refusals by it.
 */
export class PickleBudgetError extends SyntaxError {
  readonly budget: PickleBudget;
  constructor(budget: PickleBudget, message: string) {
    super(message);
    this.name = "PickleBudgetError";
    this.budget = budget;
  }
}

/** Default deepest container nesting. */
export const DEFAULT_MAX_DEPTH = 64;
/** Default memo size limit (entries). */
export const DEFAULT_MAX_MEMO = 1 << 20;
/** Default largest integer, in bytes. */
export const DEFAULT_MAX_INT_BYTES = 64;
/** Highest pickle protocol understood. */
export const HIGHEST_PICKLE_PROTOCOL = 5;
/** Longest slice of {@linkcode decodePickleSliced} before it yields to the event loop. */
export const DECODE_SLICE_MS = 4;
/** Opcodes run between two looks at the clock. */
const OPS_PER_CLOCK_CHECK = 1024;
/** Longest text argument of FLOAT, PUT and GET (Python writes at most 25 characters). */
const MAX_TEXT_ARG = 256;

// Opcode bytes (CPython Lib/pickle.py names).
const MARK = 0x28; // (
const STOP = 0x2e; // .
const POP = 0x30; // 0
const POP_MARK = 0x31; // 1
const DUP = 0x32; // 2
const FLOAT = 0x46; // F
const INT = 0x49; // I
const BININT = 0x4a; // J
const BININT1 = 0x4b; // K
const LONG = 0x4c; // L
const BININT2 = 0x4d; // M
const NONE = 0x4e; // N
const STRING = 0x53; // S
const BINSTRING = 0x54; // T
const SHORT_BINSTRING = 0x55; // U
const UNICODE = 0x56; // V
const BINUNICODE = 0x58; // X
const APPEND = 0x61; // a
const DICT = 0x64; // d
const EMPTY_DICT = 0x7d; // }
const APPENDS = 0x65; // e
const GET = 0x67; // g
const BINGET = 0x68; // h
const LONG_BINGET = 0x6a; // j
const LIST = 0x6c; // l
const EMPTY_LIST = 0x5d; // ]
const PUT = 0x70; // p
const BINPUT = 0x71; // q
const LONG_BINPUT = 0x72; // r
const SETITEM = 0x73; // s
const TUPLE = 0x74; // t
const EMPTY_TUPLE = 0x29; // )
const SETITEMS = 0x75; // u
const BINFLOAT = 0x47; // G
const PROTO = 0x80;
const TUPLE1 = 0x85;
const TUPLE2 = 0x86;
const TUPLE3 = 0x87;
const NEWTRUE = 0x88;
const NEWFALSE = 0x89;
const LONG1 = 0x8a;
const LONG4 = 0x8b;
const BINBYTES = 0x42; // B
const SHORT_BINBYTES = 0x43; // C
const SHORT_BINUNICODE = 0x8c;
const BINUNICODE8 = 0x8d;
const BINBYTES8 = 0x8e;
const EMPTY_SET = 0x8f;
const ADDITEMS = 0x90;
const FROZENSET = 0x91;
const MEMOIZE = 0x94;
const FRAME = 0x95;

/** Names of every opcode Python defines, for error messages (the refused ones included). */
const OPCODE_NAMES: Record<number, string> = {
  0x28: "MARK",
  0x2e: "STOP",
  0x30: "POP",
  0x31: "POP_MARK",
  0x32: "DUP",
  0x46: "FLOAT",
  0x49: "INT",
  0x4a: "BININT",
  0x4b: "BININT1",
  0x4c: "LONG",
  0x4d: "BININT2",
  0x4e: "NONE",
  0x50: "PERSID",
  0x51: "BINPERSID",
  0x52: "REDUCE",
  0x53: "STRING",
  0x54: "BINSTRING",
  0x55: "SHORT_BINSTRING",
  0x56: "UNICODE",
  0x58: "BINUNICODE",
  0x61: "APPEND",
  0x62: "BUILD",
  0x63: "GLOBAL",
  0x64: "DICT",
  0x7d: "EMPTY_DICT",
  0x65: "APPENDS",
  0x67: "GET",
  0x68: "BINGET",
  0x69: "INST",
  0x6a: "LONG_BINGET",
  0x6c: "LIST",
  0x5d: "EMPTY_LIST",
  0x6f: "OBJ",
  0x70: "PUT",
  0x71: "BINPUT",
  0x72: "LONG_BINPUT",
  0x73: "SETITEM",
  0x74: "TUPLE",
  0x29: "EMPTY_TUPLE",
  0x75: "SETITEMS",
  0x47: "BINFLOAT",
  0x80: "PROTO",
  0x81: "NEWOBJ",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
  0x85: "TUPLE1",
  0x86: "TUPLE2",
  0x87: "TUPLE3",
  0x88: "NEWTRUE",
  0x89: "NEWFALSE",
  0x8a: "LONG1",
  0x8b: "LONG4",
  0x42: "BINBYTES",
  0x43: "SHORT_BINBYTES",
  0x8c: "SHORT_BINUNICODE",
  0x8d: "BINUNICODE8",
  0x8e: "BINBYTES8",
  0x8f: "EMPTY_SET",
  0x90: "ADDITEMS",
  0x91: "FROZENSET",
  0x92: "NEWOBJ_EX",
  0x93: "STACK_GLOBAL",
  0x94: "MEMOIZE",
  0x95: "FRAME",
  0x96: "BYTEARRAY8",
  0x97: "NEXT_BUFFER",
  0x98: "READONLY_BUFFER",
};

/** Depth recorded for lists, dicts and sets, whose real depth lives in `#mutableDepth`. */
const MUTABLE = -1;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes one pickle, accepting only plain data.
 *
 * Python types map to: `None` → `null`; `bool` → `boolean`; `int` → `number` when within
 * ±`Number.MAX_SAFE_INTEGER`, else `bigint`; `float` → `number`; `str` (and Python 2 `str`,
 * read as UTF-8) → `string`; `bytes` → `Uint8Array` (a copy); `list` → array; `tuple` →
 * {@linkcode PickleTuple}; `dict` → `Map`; `set`/`frozenset` → `Set`. Values the memo shares
 * are shared in the result too; cycles are refused, so the result is always a tree or a DAG.
 *
 * @throws {SyntaxError} on any opcode outside that subset (`GLOBAL`, `REDUCE`, `BUILD`, ...),
 * on truncated or malformed input, stack or mark misuse, a missing `STOP` or bytes after it,
 * and when a limit of `options` is exceeded; the message names the offset.
 *
 * @example
 * ```ts
 * const v = decodePickle(new Uint8Array([0x80, 2, 0x4b, 7, 0x2e])); // 7
 * ```
 */
export function decodePickle(bytes: Uint8Array, options: PickleDecodeOptions = {}): PickleValue {
  const u = new Unpickler(bytes, options);
  u.resume(Infinity);
  return u.result;
}

/**
 * {@linkcode decodePickle} in slices of at most `sliceMs` milliseconds (a few opcodes more),
 * yielding to the event loop between slices (a macrotask: I/O and timers run), so that a large
 * or hostile pickle never holds up the rest of the process. Same result, same errors.
 *
 * @example
 * ```ts
 * const frame = await decodePickleSliced(payload, { maxObjects: 5_000 });
 * ```
 */
export async function decodePickleSliced(
  bytes: Uint8Array,
  options: PickleDecodeOptions = {},
  sliceMs = DECODE_SLICE_MS,
): Promise<PickleValue> {
  const u = new Unpickler(bytes, options);
  while (!u.resume(performance.now() + sliceMs)) await nextTask();
  return u.result;
}

/**
 * Resolves after the event loop has polled I/O once. A timer, not setImmediate or a
 * MessageChannel: measured here, those let a pending HTTP request wait 270-370 ms behind a loop
 * of 4 ms slices, a zero timer 18 ms (its cost: about 1 ms a slice, paid only by pickles that
 * take more than one slice).
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Throws the decoder's SyntaxError for a problem at `offset`. */
function fail(offset: number, msg: string): never {
  throw new SyntaxError(`Cannot decode pickle at offset ${offset}: ${msg}`);
}

/** Throws the decoder's PickleBudgetError for a budget exceeded at `offset`. */
function overBudget(offset: number, budget: PickleBudget, msg: string): never {
  throw new PickleBudgetError(budget, `Cannot decode pickle at offset ${offset}: ${msg}`);
}

/** Describes an opcode byte for messages, e.g. `GLOBAL (0x63 'c')`. */
function describeOpcode(op: number): string {
  const hex = "0x" + op.toString(16).padStart(2, "0");
  const printable = op >= 0x21 && op <= 0x7e ? ` '${String.fromCharCode(op)}'` : "";
  return `${OPCODE_NAMES[op] ?? "unknown"} (${hex}${printable})`;
}

/** One decoding run: a stack machine with a mark stack and a memo, as Python's Unpickler. */
class Unpickler {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #maxDepth: number;
  readonly #maxMemo: number;
  readonly #maxIntBytes: number;
  readonly #maxIntDigits: number;
  readonly #maxObjects: number;
  readonly #maxContainers: number;
  #pos = 0;
  /** Offset of the opcode being run (for budget errors raised in #push). */
  #at = 0;
  #objects = 0;
  #containers = 0;
  /** The pickle's value once STOP is reached. */
  result: PickleValue = null;
  /** Operand stack, with `#depths[i]` the nesting depth of `#stack[i]` (0 for scalars). */
  readonly #stack: PickleValue[] = [];
  readonly #depths: number[] = [];
  #sp = 0;
  /** Stack heights at each open MARK; `#fence` is the top one (0 when none). */
  readonly #marks: number[] = [];
  #fence = 0;
  readonly #memo: PickleValue[] = [];
  readonly #memoDepths: number[] = [];
  #memoCount = 0;
  /** Current depth of each list, dict and set (they grow while being filled). */
  #mutableDepth: Map<object, number> | undefined;
  /** Lists, dicts and sets already inside another container: they may no longer change. */
  #sealed: Set<object> | undefined;

  constructor(bytes: Uint8Array, options: PickleDecodeOptions) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.#maxMemo = Math.min(options.maxMemo ?? DEFAULT_MAX_MEMO, bytes.length);
    this.#maxIntBytes = options.maxIntBytes ?? DEFAULT_MAX_INT_BYTES;
    // 8 bits per byte, log10(2) decimal digits per bit
    this.#maxIntDigits = Math.ceil(this.#maxIntBytes * 8 * Math.LOG10E * Math.LN2);
    this.#maxObjects = options.maxObjects ?? Infinity;
    this.#maxContainers = options.maxContainers ?? this.#maxObjects;
  }

  /**
   * Runs opcodes until STOP (then `result` holds the value and it returns true) or until the
   * clock passes `deadline` (false: call again to go on).
   */
  resume(deadline: number): boolean {
    const bytes = this.#bytes;
    const view = this.#view;
    const end = bytes.length;
    let ops = 0;
    while (this.#pos < end) {
      if (++ops === OPS_PER_CLOCK_CHECK) {
        ops = 0;
        if (performance.now() >= deadline) return false;
      }
      const at = this.#pos;
      this.#at = at;
      const op = bytes[this.#pos++];
      switch (op) {
        case BININT1:
          this.#need(at, 1);
          this.#push(bytes[this.#pos++], 0);
          break;
        case BININT2:
          this.#need(at, 2);
          this.#push(view.getUint16(this.#pos, true), 0);
          this.#pos += 2;
          break;
        case BININT:
          this.#need(at, 4);
          this.#push(view.getInt32(this.#pos, true), 0);
          this.#pos += 4;
          break;
        case BINFLOAT:
          this.#need(at, 8);
          this.#push(view.getFloat64(this.#pos, false), 0);
          this.#pos += 8;
          break;
        case SHORT_BINUNICODE:
          this.#need(at, 1);
          this.#pushUtf8(at, bytes[this.#pos++]);
          break;
        case BINUNICODE:
          this.#need(at, 4);
          this.#pushUtf8(at, view.getUint32(this.#pos, true), 4);
          break;
        case BINUNICODE8:
          this.#pushUtf8(at, this.#readU64(at), 0);
          break;
        case SHORT_BINSTRING:
          this.#need(at, 1);
          this.#pushUtf8(at, bytes[this.#pos++]);
          break;
        case BINSTRING: {
          this.#need(at, 4);
          const len = view.getInt32(this.#pos, true);
          if (len < 0) fail(at, `BINSTRING has a negative length ${len}`);
          this.#pushUtf8(at, len, 4);
          break;
        }
        case SHORT_BINBYTES:
          this.#need(at, 1);
          this.#pushBytes(at, bytes[this.#pos++], 0);
          break;
        case BINBYTES:
          this.#need(at, 4);
          this.#pushBytes(at, view.getUint32(this.#pos, true), 4);
          break;
        case BINBYTES8:
          this.#pushBytes(at, this.#readU64(at), 0);
          break;
        case TUPLE1:
        case TUPLE2:
        case TUPLE3:
          this.#tuple(at, this.#sp - (op - TUPLE1 + 1));
          break;
        case EMPTY_TUPLE:
          this.#container(at);
          this.#push(new PickleTuple(0), 1);
          break;
        case MEMOIZE:
          this.#memoPut(at, this.#memoCount);
          break;
        case BINPUT:
          this.#need(at, 1);
          this.#memoPut(at, bytes[this.#pos++]);
          break;
        case LONG_BINPUT:
          this.#need(at, 4);
          this.#memoPut(at, view.getUint32(this.#pos, true));
          this.#pos += 4;
          break;
        case PUT:
          this.#memoPut(at, this.#readIndexLine(at));
          break;
        case BINGET:
          this.#need(at, 1);
          this.#memoGet(at, bytes[this.#pos++]);
          break;
        case LONG_BINGET:
          this.#need(at, 4);
          this.#memoGet(at, view.getUint32(this.#pos, true));
          this.#pos += 4;
          break;
        case GET:
          this.#memoGet(at, this.#readIndexLine(at));
          break;
        case MARK:
          this.#marks.push(this.#sp);
          this.#fence = this.#sp;
          break;
        case APPEND:
          this.#underflow(at, 2);
          this.#append(at, this.#sp - 2, this.#sp - 1);
          break;
        case APPENDS: {
          const mark = this.#popMark(at);
          this.#append(at, mark - 1, mark);
          break;
        }
        case LIST: {
          const mark = this.#popMark(at);
          this.#container(at);
          const list: PickleValue[] = [];
          this.#setMutableDepth(list, 1);
          this.#appendItems(at, list, mark);
          this.#push(list, MUTABLE);
          break;
        }
        case EMPTY_LIST: {
          this.#container(at);
          const list: PickleValue[] = [];
          this.#push(list, MUTABLE);
          this.#setMutableDepth(list, 1);
          break;
        }
        case TUPLE:
          this.#tuple(at, this.#popMark(at));
          break;
        case EMPTY_DICT: {
          this.#container(at);
          const dict: PickleDict = new Map();
          this.#push(dict, MUTABLE);
          this.#setMutableDepth(dict, 1);
          break;
        }
        case SETITEM:
          this.#underflow(at, 3);
          this.#setItems(at, this.#sp - 3, this.#sp - 2);
          break;
        case SETITEMS: {
          const mark = this.#popMark(at);
          this.#setItems(at, mark - 1, mark);
          break;
        }
        case DICT: {
          const mark = this.#popMark(at);
          this.#container(at);
          const dict: PickleDict = new Map();
          this.#setMutableDepth(dict, 1);
          this.#setItemsInto(at, dict, mark);
          this.#push(dict, MUTABLE);
          break;
        }
        case EMPTY_SET: {
          this.#container(at);
          const set: PickleSet = new Set();
          this.#push(set, MUTABLE);
          this.#setMutableDepth(set, 1);
          break;
        }
        case ADDITEMS: {
          const mark = this.#popMark(at);
          this.#addItems(at, mark - 1, mark);
          break;
        }
        case FROZENSET: {
          const mark = this.#popMark(at);
          this.#container(at);
          this.#frozenSet(at, mark);
          break;
        }
        case NONE:
          this.#push(null, 0);
          break;
        case NEWTRUE:
          this.#push(true, 0);
          break;
        case NEWFALSE:
          this.#push(false, 0);
          break;
        case INT: {
          const text = this.#readLine(at, this.#maxIntDigits + MAX_TEXT_ARG);
          // Protocol 0 spells booleans I01/I00 (pickletools: "I01\n" is True).
          if (text === "01") this.#push(true, 0);
          else if (text === "00") this.#push(false, 0);
          else this.#push(this.#parseIntText(at, text), 0);
          break;
        }
        case LONG: {
          let text = this.#readLine(at, this.#maxIntDigits + MAX_TEXT_ARG);
          if (text.endsWith("L")) text = text.slice(0, -1);
          this.#push(this.#parseIntText(at, text), 0);
          break;
        }
        case LONG1:
          this.#need(at, 1);
          this.#pushLong(at, bytes[this.#pos++]);
          break;
        case LONG4: {
          this.#need(at, 4);
          const len = view.getInt32(this.#pos, true);
          this.#pos += 4;
          if (len < 0) fail(at, `LONG4 has a negative length ${len}`);
          this.#pushLong(at, len);
          break;
        }
        case FLOAT: {
          const text = this.#readLine(at, MAX_TEXT_ARG);
          const n = parsePythonFloat(text);
          if (n === undefined) fail(at, `FLOAT argument "${clip(text)}" is not a number`);
          this.#push(n, 0);
          break;
        }
        case STRING:
          this.#push(this.#readQuotedString(at), 0);
          break;
        case UNICODE: {
          const nl = this.#lineEnd(at);
          this.#push(decodeRawUnicodeEscape(bytes, this.#pos, nl, at), 0);
          this.#pos = nl + 1;
          break;
        }
        case POP:
          if (this.#sp > this.#fence) this.#truncate(this.#sp - 1);
          else if (this.#marks.length > 0) this.#popMark(at);
          else fail(at, "POP on an empty stack");
          break;
        case POP_MARK:
          this.#truncate(this.#popMark(at));
          break;
        case DUP:
          this.#underflow(at, 1);
          this.#pushShared(this.#stack[this.#sp - 1], this.#depths[this.#sp - 1]);
          break;
        case PROTO: {
          this.#need(at, 1);
          const version = bytes[this.#pos++];
          if (version > HIGHEST_PICKLE_PROTOCOL) fail(at, `unsupported pickle protocol ${version}`);
          break;
        }
        case FRAME:
          // The frame length only tells a streaming reader how much to buffer; the whole
          // pickle is in memory here, so check that it fits and carry on.
          this.#readU64(at);
          break;
        case STOP:
          this.result = this.#stop(at);
          return true;
        default:
          fail(at, `opcode ${describeOpcode(op)} is not allowed`);
      }
    }
    fail(end, "pickle ends without STOP");
  }

  #stop(at: number): PickleValue {
    if (this.#marks.length > 0) fail(at, `STOP with ${this.#marks.length} MARK left open`);
    if (this.#sp !== 1) fail(at, `STOP with ${this.#sp} values on the stack, expected 1`);
    const left = this.#bytes.length - this.#pos;
    if (left > 0) fail(this.#pos, `${left} bytes after STOP`);
    return this.#stack[0];
  }

  /** Pushes a value the pickle created: it counts against `maxObjects`. */
  #push(v: PickleValue, depth: number): void {
    if (++this.#objects > this.#maxObjects) {
      overBudget(this.#at, "objects", `more than ${this.#maxObjects} values`);
    }
    this.#pushShared(v, depth);
  }

  /** Pushes a value already made (memo GET, DUP): no new object. */
  #pushShared(v: PickleValue, depth: number): void {
    this.#stack[this.#sp] = v;
    this.#depths[this.#sp] = depth;
    this.#sp++;
  }

  /** Drops stack entries from `height` up (slots are overwritten later, not released). */
  #truncate(height: number): void {
    this.#sp = height;
  }

  /** Counts a container about to be made against `maxContainers`. */
  #container(at: number): void {
    if (++this.#containers > this.#maxContainers) {
      overBudget(at, "containers", `more than ${this.#maxContainers} containers`);
    }
  }

  /** Fails unless `n` argument bytes follow the opcode at `at`. */
  #need(at: number, n: number): void {
    if (this.#pos + n > this.#bytes.length) {
      fail(at, `${describeOpcode(this.#bytes[at])} is truncated`);
    }
  }

  /** Fails unless `n` values sit above the current mark. */
  #underflow(at: number, n: number): void {
    if (this.#sp - this.#fence < n) {
      fail(at, `${describeOpcode(this.#bytes[at])} needs ${n} values on the stack`);
    }
  }

  /** Pops the top mark, returning the stack height it recorded. */
  #popMark(at: number): number {
    const marks = this.#marks;
    if (marks.length === 0) fail(at, `${describeOpcode(this.#bytes[at])} without a MARK`);
    const mark = marks.pop()!;
    this.#fence = marks.length > 0 ? marks[marks.length - 1] : 0;
    return mark;
  }

  /** Reads a little-endian u64 length and checks it fits in what is left of the pickle. */
  #readU64(at: number): number {
    this.#need(at, 8);
    const lo = this.#view.getUint32(this.#pos, true);
    const hi = this.#view.getUint32(this.#pos + 4, true);
    this.#pos += 8;
    const len = hi * 0x1_0000_0000 + lo;
    const left = this.#bytes.length - this.#pos;
    if (len > left) {
      fail(at, `${describeOpcode(this.#bytes[at])} declares ${len} bytes, ${left} left`);
    }
    return len;
  }

  /** Checks a declared length against what is left, before anything is allocated. */
  #checkLength(at: number, len: number): void {
    const left = this.#bytes.length - this.#pos;
    if (len > left) {
      fail(at, `${describeOpcode(this.#bytes[at])} declares ${len} bytes, ${left} left`);
    }
  }

  #pushUtf8(at: number, len: number, skip = 0): void {
    this.#pos += skip;
    this.#checkLength(at, len);
    const start = this.#pos;
    this.#pos += len;
    this.#push(decodeUtf8(this.#bytes, start, start + len, at), 0);
  }

  #pushBytes(at: number, len: number, skip: number): void {
    this.#pos += skip;
    this.#checkLength(at, len);
    const start = this.#pos;
    this.#pos += len;
    this.#container(at);
    this.#push(this.#bytes.slice(start, start + len), 0);
  }

  #pushLong(at: number, len: number): void {
    if (len > this.#maxIntBytes) {
      overBudget(
        at,
        "integer",
        `integer of ${len} bytes exceeds the limit of ${this.#maxIntBytes}`,
      );
    }
    this.#checkLength(at, len);
    const start = this.#pos;
    this.#pos += len;
    const v = decodeLong(this.#bytes, start, len);
    if (typeof v === "bigint") this.#container(at);
    this.#push(v, 0);
  }

  /** Index of the `\n` ending the text argument of the opcode at `at`. */
  #lineEnd(at: number): number {
    const nl = this.#bytes.indexOf(0x0a, this.#pos);
    if (nl < 0) fail(at, `${describeOpcode(this.#bytes[at])} argument has no end of line`);
    return nl;
  }

  /**
   * Reads a text argument (ASCII in every pickle Python writes) without its `\n`; one longer
   * than `maxLen` is refused before a string is made of it.
   */
  #readLine(at: number, maxLen: number): string {
    const nl = this.#lineEnd(at);
    if (nl - this.#pos > maxLen) {
      const what = `${describeOpcode(this.#bytes[at])} argument of ${nl - this.#pos} bytes`;
      const op = this.#bytes[at];
      if (op === INT || op === LONG) {
        overBudget(at, "integer", `${what} exceeds the limit of ${this.#maxIntBytes} bytes`);
      }
      fail(at, `${what} is longer than ${maxLen}`);
    }
    const text = latin1(this.#bytes, this.#pos, nl);
    this.#pos = nl + 1;
    return text;
  }

  #readIndexLine(at: number): number {
    const text = this.#readLine(at, MAX_TEXT_ARG);
    if (!/^\d{1,10}$/.test(text)) fail(at, `memo index "${clip(text)}" is not a number`);
    return Number(text);
  }

  #parseIntText(at: number, text: string): number | bigint {
    const trimmed = text.trim();
    // Decimal only: CPython's C unpickler reads "010" as octal, and no pickler writes it.
    if (!/^[+-]?(?:0|[1-9]\d*)$/.test(trimmed)) {
      fail(at, `integer argument "${clip(text)}" is not a decimal number`);
    }
    const digits = trimmed.length - (trimmed[0] === "-" || trimmed[0] === "+" ? 1 : 0);
    if (digits <= 15) return Number(trimmed) + 0; // + 0 turns "-0" into 0, as Python's int
    // stop before BigInt() does the work
    if (digits > this.#maxIntDigits) {
      overBudget(
        at,
        "integer",
        `integer of ${digits} digits exceeds the limit of ${this.#maxIntBytes} bytes`,
      );
    }
    const v = normalizeBigInt(BigInt(trimmed));
    if (typeof v === "bigint") this.#container(at);
    return v;
  }

  /** STRING: a Python 2 `repr()` of a byte string, quoted, with backslash escapes. */
  #readQuotedString(at: number): string {
    const bytes = this.#bytes;
    const nl = this.#lineEnd(at);
    const start = this.#pos;
    this.#pos = nl + 1;
    const q = bytes[start];
    if (nl - start < 2 || (q !== 0x27 && q !== 0x22) || bytes[nl - 1] !== q) {
      fail(at, "STRING argument is not quoted");
    }
    const raw = decodeEscapes(bytes, start + 1, nl - 1, at);
    return decodeUtf8(raw, 0, raw.length, at);
  }

  #memoPut(at: number, index: number): void {
    if (this.#sp <= this.#fence) fail(at, `${describeOpcode(this.#bytes[at])} on an empty stack`);
    if (index >= this.#maxMemo) {
      overBudget(at, "memo", `memo index ${index} exceeds the limit of ${this.#maxMemo}`);
    }
    if (this.#memo[index] === undefined) this.#memoCount++;
    this.#memo[index] = this.#stack[this.#sp - 1];
    this.#memoDepths[index] = this.#depths[this.#sp - 1];
  }

  #memoGet(at: number, index: number): void {
    const v = this.#memo[index];
    if (v === undefined) fail(at, `memo index ${index} was never set`);
    this.#pushShared(v, this.#memoDepths[index]);
  }

  #setMutableDepth(container: object, depth: number): void {
    (this.#mutableDepth ??= new Map()).set(container, depth);
  }

  /**
   * Records that the value at slot `i` goes into `parent` and returns its depth. A list, dict or
   * set put inside another container is sealed: changing it later is how Python pickles cycles,
   * and a cycle (or a container growing under a parent that measured it) is refused.
   */
  #adopt(at: number, i: number, parent: object): number {
    if (this.#depths[i] !== MUTABLE) return this.#depths[i];
    const child = this.#stack[i] as object;
    if (child === parent) fail(at, "a container cannot contain itself");
    (this.#sealed ??= new Set()).add(child);
    return this.#mutableDepth!.get(child)!;
  }

  /** Checks that slot `i` holds an unsealed container of the kind `opcode` fills. */
  #target(at: number, i: number, kind: "list" | "dict" | "set"): void {
    if (i < this.#fence) {
      fail(at, `${describeOpcode(this.#bytes[at])} needs a ${kind} below its items`);
    }
    const t = this.#stack[i];
    const ok = this.#depths[i] === MUTABLE &&
      (kind === "list" ? Array.isArray(t) : kind === "dict" ? t instanceof Map : t instanceof Set);
    if (!ok) {
      const what = t instanceof Set && this.#depths[i] !== MUTABLE ? "frozenset" : typeName(t);
      fail(at, `${describeOpcode(this.#bytes[at])} needs a ${kind}, not ${what}`);
    }
    if (this.#sealed?.has(t as object)) {
      fail(
        at,
        `${describeOpcode(this.#bytes[at])} changes a ${kind} already inside another container`,
      );
    }
  }

  #checkDepth(at: number, depth: number): void {
    if (depth > this.#maxDepth) overBudget(at, "depth", `nesting deeper than ${this.#maxDepth}`);
  }

  /** Appends stack[first..sp) to the list at slot `target`, then drops them. */
  #append(at: number, target: number, first: number): void {
    this.#target(at, target, "list");
    this.#appendItems(at, this.#stack[target] as PickleValue[], first);
  }

  #appendItems(at: number, list: PickleValue[], first: number): void {
    let depth = this.#mutableDepth!.get(list)!;
    for (let i = first; i < this.#sp; i++) {
      depth = Math.max(depth, this.#adopt(at, i, list) + 1);
      list.push(this.#stack[i]);
    }
    this.#checkDepth(at, depth);
    this.#mutableDepth!.set(list, depth);
    this.#truncate(first);
  }

  /** Replaces stack[first..sp) with a tuple of them. */
  #tuple(at: number, first: number): void {
    if (first < this.#fence) {
      fail(at, `${describeOpcode(this.#bytes[at])} needs more values on the stack`);
    }
    this.#container(at);
    const n = this.#sp - first;
    const t = new PickleTuple(n);
    let depth = 1;
    for (let i = 0; i < n; i++) {
      const d = this.#adopt(at, first + i, t) + 1;
      if (d > depth) depth = d;
      t[i] = this.#stack[first + i];
    }
    this.#checkDepth(at, depth);
    this.#truncate(first);
    this.#push(t, depth);
  }

  /** Sets key/value pairs from stack[first..sp) into the dict at slot `target`. */
  #setItems(at: number, target: number, first: number): void {
    this.#target(at, target, "dict");
    this.#setItemsInto(at, this.#stack[target] as PickleDict, first);
  }

  #setItemsInto(at: number, dict: PickleDict, first: number): void {
    if ((this.#sp - first) % 2 !== 0) fail(at, "dict items come in key/value pairs");
    let depth = this.#mutableDepth!.get(dict)!;
    for (let i = first; i < this.#sp; i += 2) {
      this.#checkKey(at, i);
      depth = Math.max(depth, this.#adopt(at, i, dict) + 1, this.#adopt(at, i + 1, dict) + 1);
      dict.set(this.#stack[i], this.#stack[i + 1]);
    }
    this.#checkDepth(at, depth);
    this.#mutableDepth!.set(dict, depth);
    this.#truncate(first);
  }

  #addItems(at: number, target: number, first: number): void {
    this.#target(at, target, "set");
    const set = this.#stack[target] as PickleSet;
    let depth = this.#mutableDepth!.get(set)!;
    for (let i = first; i < this.#sp; i++) {
      this.#checkKey(at, i);
      depth = Math.max(depth, this.#adopt(at, i, set) + 1);
      set.add(this.#stack[i]);
    }
    this.#checkDepth(at, depth);
    this.#mutableDepth!.set(set, depth);
    this.#truncate(first);
  }

  #frozenSet(at: number, first: number): void {
    const set: PickleSet = new Set();
    let depth = 1;
    for (let i = first; i < this.#sp; i++) {
      this.#checkKey(at, i);
      depth = Math.max(depth, this.#adopt(at, i, set) + 1);
      set.add(this.#stack[i]);
    }
    this.#checkDepth(at, depth);
    this.#truncate(first);
    this.#push(set, depth); // immutable: its depth is final, like a tuple's
  }

  /** Dict keys and set items must be hashable in Python: lists, dicts and sets are not. */
  #checkKey(at: number, i: number): void {
    if (this.#depths[i] === MUTABLE) {
      fail(at, `${typeName(this.#stack[i])} cannot be a dict key or set item`);
    }
  }
}

/** Python's name for the type a value came from, for messages. */
export function typeName(v: PickleValue | undefined): string {
  if (v === null) return "None";
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(v) ? "int" : "float";
    case "bigint":
      return "int";
    case "string":
      return "str";
  }
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof PickleTuple) return "tuple";
  if (Array.isArray(v)) return "list";
  if (v instanceof Map) return "dict";
  if (v instanceof Set) return "set";
  return "unknown";
}

/** Narrows a bigint to a number when it is exactly representable. */
function normalizeBigInt(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Little-endian two's complement, as LONG1/LONG4 store it (pickletools: decode_long). */
function decodeLong(bytes: Uint8Array, start: number, len: number): number | bigint {
  if (len === 0) return 0;
  const negative = (bytes[start + len - 1] & 0x80) !== 0;
  if (len <= 6) {
    let v = 0;
    for (let i = len - 1; i >= 0; i--) v = v * 256 + bytes[start + i];
    return negative ? v - 2 ** (8 * len) : v;
  }
  let v = 0n;
  for (let i = len - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[start + i]);
  if (negative) v -= 1n << BigInt(8 * len);
  return normalizeBigInt(v);
}

/** Cuts a text argument for an error message. */
function clip(text: string): string {
  return text.length > 40 ? text.slice(0, 40) + "..." : text;
}

/** Characters per `String.fromCharCode` call in {@linkcode latin1}. */
const LATIN1_CHUNK = 8192;

/**
 * Bytes as Latin-1 characters (text opcode arguments), a chunk per call: appending char by
 * char makes a rope node per char (tens of bytes each) until the string is flattened.
 */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= LATIN1_CHUNK) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  const parts: string[] = [];
  for (let i = start; i < end; i += LATIN1_CHUNK) {
    const chunk = bytes.subarray(i, Math.min(end, i + LATIN1_CHUNK));
    parts.push(String.fromCharCode.apply(null, chunk as unknown as number[]));
  }
  return parts.join("");
}

/** Scratch char codes for short ASCII strings (one `String.fromCharCode.apply` builds them). */
const asciiCodes: number[] = [];
/** Longest string built from `asciiCodes`; longer ones go through TextDecoder. */
const MAX_ASCII_FAST = 64;

/**
 * Strict UTF-8 (what Python's BINUNICODE decoding accepts, bar lone surrogates). Metric names
 * are short ASCII, where TextDecoder's per-call cost dominates: those are built from char codes
 * in one call (measured 2-3x faster than TextDecoder or appending char by char, which makes
 * a rope node per char).
 */
function decodeUtf8(bytes: Uint8Array, start: number, end: number, at: number): string {
  const n = end - start;
  if (n <= MAX_ASCII_FAST) {
    const codes = asciiCodes;
    codes.length = n;
    let i = 0;
    for (; i < n; i++) {
      const c = bytes[start + i];
      if (c >= 0x80) break;
      codes[i] = c;
    }
    if (i === n) return String.fromCharCode.apply(null, codes);
  }
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch {
    fail(at, "string is not valid UTF-8");
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Reads `n` hex digits at `i`, or -1 if they are not all there. */
function readHex(bytes: Uint8Array, i: number, end: number, n: number): number {
  if (i + n > end) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const h = hexValue(bytes[i + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

/**
 * Python's `raw-unicode-escape` codec (UNICODE opcode): bytes are Latin-1 characters, except
 * `\uXXXX` and `\UXXXXXXXX` after an odd number of backslashes.
 */
function decodeRawUnicodeEscape(bytes: Uint8Array, start: number, end: number, at: number): string {
  const parts: string[] = [];
  let run = 0; // backslashes just seen
  let i = start;
  let from = start;
  while (i < end) {
    const c = bytes[i];
    if (c === 0x5c) {
      run++;
      i++;
      continue;
    }
    if ((c === 0x75 || c === 0x55) && run % 2 === 1) {
      const n = c === 0x75 ? 4 : 8;
      const cp = readHex(bytes, i + 1, end, n);
      if (cp < 0 || cp > 0x10ffff) fail(at, "UNICODE argument has a bad \\u escape");
      parts.push(latin1(bytes, from, i - 1), String.fromCodePoint(cp));
      i += 1 + n;
      from = i;
    } else {
      i++;
    }
    run = 0;
  }
  parts.push(latin1(bytes, from, end));
  return parts.join("");
}

/** Python's `codecs.escape_decode` (STRING opcode): backslash escapes of a byte string. */
function decodeEscapes(bytes: Uint8Array, start: number, end: number, at: number): Uint8Array {
  const out = new Uint8Array(end - start);
  let n = 0;
  let i = start;
  while (i < end) {
    const c = bytes[i++];
    if (c !== 0x5c) {
      out[n++] = c;
      continue;
    }
    if (i >= end) fail(at, "STRING argument ends with a lone backslash");
    const e = bytes[i++];
    switch (e) {
      case 0x0a: // line continuation
        break;
      case 0x5c:
      case 0x27:
      case 0x22:
        out[n++] = e;
        break;
      case 0x61: // \a
        out[n++] = 0x07;
        break;
      case 0x62: // \b
        out[n++] = 0x08;
        break;
      case 0x66: // \f
        out[n++] = 0x0c;
        break;
      case 0x6e: // \n
        out[n++] = 0x0a;
        break;
      case 0x72: // \r
        out[n++] = 0x0d;
        break;
      case 0x74: // \t
        out[n++] = 0x09;
        break;
      case 0x76: // \v
        out[n++] = 0x0b;
        break;
      case 0x78: { // \xHH
        const v = readHex(bytes, i, end, 2);
        if (v < 0) fail(at, "STRING argument has a bad \\x escape");
        out[n++] = v;
        i += 2;
        break;
      }
      default:
        if (e >= 0x30 && e <= 0x37) { // up to three octal digits
          let v = e - 0x30;
          for (let k = 0; k < 2 && i < end && bytes[i] >= 0x30 && bytes[i] <= 0x37; k++) {
            v = v * 8 + bytes[i++] - 0x30;
          }
          out[n++] = v & 0xff;
        } else { // unknown escapes keep their backslash
          out[n++] = 0x5c;
          out[n++] = e;
        }
    }
  }
  return out.subarray(0, n);
}

const PY_FLOAT =
  /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const PY_FLOAT_SPECIAL = /^([+-]?)(?:(inf|infinity)|nan)$/i;

/**
 * Reads a number as Python's `float(text)` does: surrounding whitespace, an optional sign,
 * digits with single `_` between them, an optional fraction and exponent, or `inf`,
 * `infinity`, `nan` in any case. Returns `undefined` when Python would raise ValueError.
 *
 * @example
 * ```ts
 * parsePythonFloat(" 1_000.5 "); // 1000.5
 * parsePythonFloat("-Infinity"); // -Infinity
 * parsePythonFloat("0x10");      // undefined
 * ```
 */
export function parsePythonFloat(text: string): number | undefined {
  const s = text.trim();
  if (PY_FLOAT.test(s)) return Number(s.includes("_") ? s.replaceAll("_", "") : s);
  const m = PY_FLOAT_SPECIAL.exec(s);
  if (m === null) return undefined;
  if (m[2] === undefined) return NaN;
  return m[1] === "-" ? -Infinity : Infinity;
}
