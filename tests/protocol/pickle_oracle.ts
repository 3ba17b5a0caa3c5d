// Test helpers for the pickle codec: the fixtures CPython made (tests/fixtures/pickle/), the
// tagged form that compares a decoded value with Python's, and a bridge to /usr/bin/python3.

import assert from "node:assert/strict";
import { PickleTuple } from "../../src/protocol/pickle_decode.ts";
import { concat } from "../_util/bytes.ts";
import type { PickleValue } from "../../src/protocol/pickle_decode.ts";
import { PYTHON } from "../_util/requires.ts";

/** Folder of the fixtures and of make_fixtures.py. */
export const FIXTURES_DIR = new URL("../fixtures/pickle/", import.meta.url);

/** A value as tagged JSON, as make_fixtures.py's `tag()` writes it. */
export type Tag = null | [string, unknown];

/** A fixture that must be refused: the first opcode outside the safe subset, and its offset. */
export interface Refused {
  opcode: string;
  offset: number;
}

/** The contents of cases.json. */
export interface Cases {
  python: string;
  values: { name: string; hex: string; tag?: Tag; refused?: Refused }[];
  metrics: {
    name: string;
    hex: string;
    points?: [string, number, number][];
    rejected?: number;
    refused?: Refused;
  }[];
  carbonlink: { name: string; hex: string; request: Record<string, unknown> }[];
  hostile: { name: string; hex: string; opcode: string; offset: number }[];
}

/** Reads tests/fixtures/pickle/cases.json. */
export function loadCases(): Cases {
  return JSON.parse(Deno.readTextFileSync(new URL("cases.json", FIXTURES_DIR)));
}

/** Bytes from a hex string. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes from a string of byte values ("\x80\x02N." style), for hand-written pickles. */
export function bin(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`Cannot make a byte of U+${c.toString(16)}`);
    out[i] = c;
  }
  return out;
}

/** Splits `uint32 BE length + payload` frames. */
export function splitFrames(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = view.getUint32(at, false);
    out.push(bytes.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}

/** Joins payloads into `uint32 BE length + payload` frames. */
export function joinFrames(payloads: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const p of payloads) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, p.length, false);
    parts.push(len, p);
  }
  return concat(...parts);
}

/** Runs `python3 -c script` with `args`, feeding `input`; returns stdout, throws on failure. */
export async function python(
  script: string,
  options: { args?: string[]; input?: Uint8Array } = {},
): Promise<Uint8Array> {
  const child = new Deno.Command(PYTHON, {
    args: ["-c", script, ...(options.args ?? [])],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  if (options.input) await writer.write(options.input);
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) {
    throw new Error(`python3 exited with ${code}: ${new TextDecoder().decode(stderr)}`);
  }
  return stdout;
}

/**
 * Python code loading length-prefixed pickles from stdin the way graphite-web must: an
 * Unpickler whose find_class refuses every global. Prints a JSON list of tags.
 */
export const RESTRICTED_LOADS = `
import io, json, pickle, struct, sys
sys.path.insert(0, sys.argv[1])
from make_fixtures import tag

class NoGlobals(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError("global %s.%s is forbidden" % (module, name))

data = sys.stdin.buffer.read()
out, pos = [], 0
while pos < len(data):
    (n,) = struct.unpack("!L", data[pos:pos + 4])
    f = io.BytesIO(data[pos + 4:pos + 4 + n])
    out.append(tag(NoGlobals(f).load()))
    assert f.read() == b"", "bytes after STOP"
    pos += 4 + n
print(json.dumps(out))
`;

/** Loads each pickle in Python with no globals allowed and returns their tags. */
export async function pythonLoads(pickles: Uint8Array[]): Promise<Tag[]> {
  const out = await python(RESTRICTED_LOADS, {
    args: [FIXTURES_DIR.pathname],
    input: joinFrames(pickles),
  });
  return JSON.parse(new TextDecoder().decode(out));
}

function f64Hex(n: number): string {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, n, false);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Asserts that a decoded value is what Python's tag says: ints as numbers when safe else
 * bigints, floats bit for bit, tuples as PickleTuple, lists as plain arrays, dicts as Maps in
 * order, bytes as Uint8Array.
 */
export function assertMatchesTag(actual: PickleValue, tag: Tag, path = "$"): void {
  if (tag === null) {
    assert.equal(actual, null, `${path}: expected None`);
    return;
  }
  const [kind, v] = tag;
  switch (kind) {
    case "bool":
      assert.equal(actual, v, `${path}: expected ${v}`);
      return;
    case "int": {
      const big = BigInt(v as string);
      const safe = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER);
      assert.equal(actual, safe ? Number(big) : big, `${path}: expected int ${v}`);
      return;
    }
    case "float":
      assert.equal(typeof actual, "number", `${path}: expected a float`);
      assert.equal(f64Hex(actual as number), v, `${path}: float bits`);
      return;
    case "str":
      assert.equal(actual, v, `${path}: str`);
      return;
    case "bytes":
      assert.ok(actual instanceof Uint8Array, `${path}: expected bytes`);
      assert.equal(Array.from(actual, (x) => x.toString(16).padStart(2, "0")).join(""), v);
      return;
    case "list":
    case "tuple": {
      const items = v as Tag[];
      assert.ok(Array.isArray(actual), `${path}: expected a ${kind}`);
      assert.equal(actual instanceof PickleTuple, kind === "tuple", `${path}: ${kind} class`);
      assert.equal(actual.length, items.length, `${path}: length`);
      items.forEach((t, i) => assertMatchesTag(actual[i], t, `${path}[${i}]`));
      return;
    }
    case "dict": {
      const pairs = v as [Tag, Tag][];
      assert.ok(actual instanceof Map, `${path}: expected a dict`);
      assert.equal(actual.size, pairs.length, `${path}: size`);
      [...actual.entries()].forEach(([k, x], i) => {
        assertMatchesTag(k, pairs[i][0], `${path}.key${i}`);
        assertMatchesTag(x, pairs[i][1], `${path}.value${i}`);
      });
      return;
    }
    case "set": {
      const items = v as Tag[];
      assert.ok(actual instanceof Set, `${path}: expected a set`);
      [...actual].forEach((x, i) => assertMatchesTag(x, items[i], `${path}{${i}}`));
      assert.equal(actual.size, items.length, `${path}: size`);
      return;
    }
    default:
      throw new TypeError(`Unknown tag ${kind}`);
  }
}
