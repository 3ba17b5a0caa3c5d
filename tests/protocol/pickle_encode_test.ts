// Tests of the protocol-2 pickler: every output is loaded by CPython with an Unpickler that
// refuses all globals (as graphite-web's), and carbonlink answers are compared byte for byte with
// Python carbon's pickle.dumps(..., protocol=2) once its memo is optimized away.

import assert from "node:assert/strict";
import { decodePickle, PickleTuple, pickleTuple } from "../../src/protocol/pickle_decode.ts";
import type { PickleValue } from "../../src/protocol/pickle_decode.ts";
import {
  encodeDatapointsByMetricReply,
  encodeDatapointsReply,
  encodeErrorReply,
  encodePickle,
  encodeValueReply,
  PickleWriter,
} from "../../src/protocol/pickle_encode.ts";
import type { PickleEncodable } from "../../src/protocol/pickle_encode.ts";
import { bin, joinFrames, python, pythonLoads, splitFrames } from "./pickle_oracle.ts";
import type { Tag } from "./pickle_oracle.ts";
import { requires } from "../_util/requires.ts";

// Tags as Python's side prints them (make_fixtures.py tag()).
const int = (n: number | bigint): Tag => ["int", String(n)];
const f64 = (n: number): Tag => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, n, false);
  return ["float", Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")];
};
const str = (s: string): Tag => ["str", s];
const list = (...items: Tag[]): Tag => ["list", items];
const tup = (...items: Tag[]): Tag => ["tuple", items];
const dict = (...pairs: [Tag, Tag][]): Tag => ["dict", pairs];

Deno.test(
  requires("python3", {
    name: "encodePickle() output loads in Python with no globals allowed, as the value written",
    fn: async () => {
      const table: [PickleEncodable, Tag][] = [
        [null, null],
        [true, ["bool", true]],
        [false, ["bool", false]],
        [0, int(0)],
        [255, int(255)],
        [256, int(256)],
        [65535, int(65535)],
        [65536, int(65536)],
        [-1, int(-1)],
        [2 ** 31 - 1, int(2 ** 31 - 1)],
        [-(2 ** 31), int(-(2 ** 31))],
        [2 ** 31, int(2 ** 31)],
        [-(2 ** 31) - 1, int(-(2 ** 31) - 1)],
        [2n ** 53n, int(2n ** 53n)],
        [2 ** 53, f64(2 ** 53)], // past the safe integers a number is a float
        [1e300, f64(1e300)],
        [-128, int(-128)],
        [-129, int(-129)],
        [-256, int(-256)],
        [-32768, int(-32768)],
        [2n ** 63n, int(2n ** 63n)],
        [-(2n ** 63n), int(-(2n ** 63n))],
        [2n ** 200n, int(2n ** 200n)],
        [-(2n ** 2100n), int(-(2n ** 2100n))], // LONG4: more than 255 bytes
        [1.5, f64(1.5)],
        [0.1, f64(0.1)],
        [-0.5, f64(-0.5)],
        [NaN, f64(NaN)],
        [Infinity, f64(Infinity)],
        [5e-324, f64(5e-324)],
        ["", str("")],
        ["a.b.c", str("a.b.c")],
        ["caf\xe9 \u2603 \u{1f600}", str("caf\xe9 \u2603 \u{1f600}")],
        ["x".repeat(70_000), str("x".repeat(70_000))],
        [[], list()],
        [[1], list(int(1))],
        [[1, "a", null], list(int(1), str("a"), null)],
        [pickleTuple(), tup()],
        [pickleTuple(1), tup(int(1))],
        [pickleTuple(1, 2.5), tup(int(1), f64(2.5))],
        [pickleTuple(1, 2, 3), tup(int(1), int(2), int(3))],
        [pickleTuple(1, 2, 3, 4), tup(int(1), int(2), int(3), int(4))],
        [{}, dict()],
        [{ a: 1 }, dict([str("a"), int(1)])],
        [
          { old_value: "average", new_value: "max" },
          dict([str("old_value"), str("average")], [
            str("new_value"),
            str("max"),
          ]),
        ],
        [
          new Map<PickleEncodable, PickleEncodable>([[7, [pickleTuple(1, 0.5)]], [
            pickleTuple(1, 2),
            null,
          ]]),
          dict([int(7), list(tup(int(1), f64(0.5)))], [tup(int(1), int(2)), null]),
        ],
        [
          Array.from({ length: 2500 }, (_, i) => i),
          list(...Array.from({ length: 2500 }, (_, i) => int(i))),
        ],
      ];
      const tags = await pythonLoads(table.map(([v]) => encodePickle(v)));
      table.forEach(([v, tag], i) =>
        assert.deepStrictEqual(tags[i], tag, `value ${i}: ${String(v).slice(0, 30)}`)
      );
    },
  }),
);

Deno.test(
  requires("python3", {
    name: "encodePickle() writes scalars byte for byte as Python's pickle.dumps(v, 2)",
    fn: async () => {
      const values = [
        "None",
        "True",
        "False",
        "0",
        "255",
        "256",
        "65535",
        "65536",
        "-1",
        "2**31-1",
        "-2**31",
        "2**31",
        "-2**31-1",
        "2**53",
        "-128",
        "-129",
        "2**63",
        "-2**63",
        "2**64-1",
        "2**200",
        "1.5",
        "-0.0",
        "1e300",
        "float('inf')",
      ];
      const jsValues: PickleEncodable[] = [
        null,
        true,
        false,
        0,
        255,
        256,
        65535,
        65536,
        -1,
        2 ** 31 - 1,
        -(2 ** 31),
        2 ** 31,
        -(2 ** 31) - 1,
        2n ** 53n,
        -128,
        -129,
        2n ** 63n,
        -(2n ** 63n),
        2n ** 64n - 1n,
        2n ** 200n,
        1.5,
        -0,
        1e300,
        Infinity,
      ];
      const out = await python(
        "import pickle, struct, sys\n" +
          `for v in [${values.join(", ")}]:\n` +
          "  d = pickle.dumps(v, protocol=2)\n" +
          "  sys.stdout.buffer.write(struct.pack('!L', len(d)) + d)\n",
      );
      const expected = splitFrames(out);
      jsValues.forEach((v, i) => {
        if (Object.is(v, -0)) return; // JS -0 is an integer: we write int 0, Python's -0.0 a float
        assert.deepStrictEqual(encodePickle(v), expected[i], values[i]);
      });
    },
  }),
);

Deno.test("encodePickle() refuses what protocol 2 cannot carry without globals, and cycles", () => {
  const refused: [unknown, RegExp][] = [
    [bin("ab"), /Cannot pickle a Uint8Array with protocol 2 without globals/],
    [new Set([1]), /Cannot pickle a Set/],
    [new Float64Array(2), /Cannot pickle a Float64Array/],
    [undefined, /Cannot pickle a undefined/],
    [() => 1, /Cannot pickle a function/],
    [Symbol("s"), /Cannot pickle a symbol/],
    [new Date(0), /Cannot pickle a Date/],
  ];
  for (const [v, message] of refused) {
    assert.throws(
      () => encodePickle(v as PickleEncodable),
      { name: "TypeError", message },
      String(message),
    );
  }
  assert.throws(() => new PickleWriter().int(1.5), {
    name: "TypeError",
    message: "Cannot pickle 1.5 as an int",
  });
  const cyclic: PickleEncodable[] = [];
  cyclic.push(cyclic);
  assert.throws(() => encodePickle(cyclic), RangeError);
  let deep: PickleEncodable = 1;
  for (let i = 0; i < 64; i++) deep = [deep];
  assert.doesNotThrow(() => encodePickle(deep));
  assert.throws(() => encodePickle([deep]), RangeError);
  assert.doesNotThrow(() => encodePickle([deep], { maxDepth: 65 }));
});

Deno.test("decodePickle() reads back what encodePickle() writes", () => {
  const values: PickleValue[] = [
    null,
    [1, 2.5, "x", pickleTuple(true, false), new Map<PickleValue, PickleValue>([["k", [null]]])],
    pickleTuple(1, 2, 3, 4, 5),
    new Map<PickleValue, PickleValue>([[1, "a"], ["b", pickleTuple()]]),
    2n ** 100n,
    -(2n ** 100n),
    "\u{1f600}".repeat(100),
  ];
  for (const v of values) assert.deepStrictEqual(decodePickle(encodePickle(v)), v);
});

/** Python carbon's answer for these points, memo optimized away (pickletools.optimize). */
async function pythonCarbonReply(points: [number, number][]): Promise<Uint8Array> {
  const out = await python(
    "import json, pickle, pickletools, sys\n" +
      "pts = [(int(t), float(v)) for t, v in json.loads(sys.stdin.read())]\n" +
      "sys.stdout.buffer.write(pickletools.optimize(pickle.dumps(dict(datapoints=pts), protocol=2)))\n",
    { input: new TextEncoder().encode(JSON.stringify(points)) },
  );
  return out;
}

function columns(points: [number, number][]) {
  return {
    timestamps: Uint32Array.from(points, (p) => p[0]),
    values: Float64Array.from(points, (p) => p[1]),
  };
}

Deno.test("encodeDatapointsReply() writes Python carbon's cache-query answer byte for byte", async () => {
  for (const n of [0, 1, 2, 17, 1000]) {
    const points = Array.from(
      { length: n },
      (_, i) => [1700000000 + 60 * i, i * 0.5 - 3] as [number, number],
    );
    const expected = await pythonCarbonReply(points);
    assert.deepStrictEqual(encodeDatapointsReply(columns(points)), expected, `${n} points`);
  }
});

Deno.test(
  requires("python3", {
    name: "encodeDatapointsReply() answers 10k points that graphite-web can merge",
    fn: async () => {
      const n = 10_000;
      const timestamps = Array.from({ length: n }, (_, i) => 1700000000 + 10 * i);
      const values = Float64Array.from({ length: n }, (_, i) => (i % 7) * 1.5);
      const reply = encodeDatapointsReply({ timestamps, values }, { framed: true });
      assert.equal(
        new DataView(reply.buffer, reply.byteOffset).getUint32(0, false),
        reply.length - 4,
      );
      // graphite-web's recv_response + mergeResults: ints for timestamps, floats for values.
      const out = await python(
        "import io, pickle, struct, sys\n" +
          "class NoGlobals(pickle.Unpickler):\n" +
          "  def find_class(self, m, n): raise pickle.UnpicklingError(m)\n" +
          "data = sys.stdin.buffer.read()\n" +
          "(size,) = struct.unpack('!L', data[:4])\n" +
          "result = NoGlobals(io.BytesIO(data[4:4 + size])).load()\n" +
          "pts = result['datapoints']\n" +
          "assert all(type(t) is int and type(v) is float for t, v in pts)\n" +
          "step = 60\n" +
          "slots = {}\n" +
          "for (timestamp, value) in pts:\n" +
          "  slots[timestamp - (timestamp % step)] = value\n" +
          "print(len(pts), len(slots), sum(v for t, v in pts), pts[0], pts[-1])\n",
        { input: reply },
      );
      const sum = values.reduce((a, b) => a + b, 0).toFixed(1);
      const slots = new Set(timestamps.map((t) => t - (t % 60))).size;
      const last = `(${timestamps[n - 1]}, ${values[n - 1].toFixed(1)})`;
      assert.equal(
        new TextDecoder().decode(out).trim(),
        `${n} ${slots} ${sum} (1700000000, 0.0) ${last}`,
      );
    },
  }),
);

Deno.test(
  requires("python3", {
    name:
      "encodeDatapointsReply() writes timestamps past 2038, negative or fractional as Python would",
    fn: async () => {
      const timestamps = [0, 255, 65536, 2 ** 31, 2 ** 32 - 1, -5, 1700000000.5, 2 ** 40];
      const values = timestamps.map((_, i) => i);
      const reply = encodeDatapointsReply({ timestamps, values });
      const [tag] = await pythonLoads([reply]);
      assert.deepStrictEqual(
        tag,
        dict([
          str("datapoints"),
          list(
            tup(int(0), f64(0)),
            tup(int(255), f64(1)),
            tup(int(65536), f64(2)),
            tup(int(2 ** 31), f64(3)),
            tup(int(2 ** 32 - 1), f64(4)),
            tup(int(-5), f64(5)),
            tup(f64(1700000000.5), f64(6)),
            tup(int(2 ** 40), f64(7)),
          ),
        ]),
      );
    },
  }),
);

Deno.test("encodeDatapointsReply() writes only the first `count` points and checks it", () => {
  const timestamps = new Uint32Array([10, 20, 30, 0]);
  const values = new Float64Array([1, 2, 3, 0]);
  const reply = decodePickle(encodeDatapointsReply({ timestamps, values, count: 3 }));
  assert.deepStrictEqual(
    reply,
    new Map([["datapoints", [pickleTuple(10, 1), pickleTuple(20, 2), pickleTuple(30, 3)]]]),
  );
  assert.throws(
    () => encodeDatapointsReply({ timestamps, values, count: 5 }),
    { name: "RangeError", message: "Cannot write 5 datapoints from 4 timestamps and 4 values" },
  );
});

Deno.test(
  requires("python3", {
    name:
      "encodeDatapointsByMetricReply(), encodeValueReply() and encodeErrorReply() load in Python",
    fn: async () => {
      const series = new Map([
        ["a.b.c", { timestamps: [1700000000, 1700000060], values: [1.5, 2] }],
        ["caf\xe9.x", { timestamps: [1700000000], values: new Float64Array([-1]) }],
        ["empty", { timestamps: [], values: [] }],
      ]);
      const replies = [
        encodeDatapointsByMetricReply(series),
        encodeDatapointsByMetricReply([]),
        encodeDatapointsByMetricReply([["one", { timestamps: [5], values: [6] }]]),
        encodeValueReply("average"),
        encodeValueReply(null),
        encodeErrorReply('Invalid request type "cache-flush"'),
      ];
      const tags = await pythonLoads(replies);
      assert.deepStrictEqual(tags, [
        dict([
          str("datapointsByMetric"),
          dict(
            [str("a.b.c"), list(tup(int(1700000000), f64(1.5)), tup(int(1700000060), f64(2)))],
            [str("caf\xe9.x"), list(tup(int(1700000000), f64(-1)))],
            [str("empty"), list()],
          ),
        ]),
        dict([str("datapointsByMetric"), dict()]),
        dict([str("datapointsByMetric"), dict([str("one"), list(tup(int(5), f64(6)))])]),
        dict([str("value"), str("average")]),
        dict([str("value"), null]),
        dict([str("error"), str('Invalid request type "cache-flush"')]),
      ]);
    },
  }),
);

Deno.test(
  requires("python3", {
    name: "PickleWriter grows from a tiny buffer and frames its output",
    fn: async () => {
      const w = new PickleWriter(1, { framed: true });
      w.proto();
      w.emptyList();
      w.mark();
      for (let i = 0; i < 5000; i++) {
        w.str(`series.${i}.\u00e9`);
        w.float(i / 4);
        w.tuple2();
      }
      w.appends();
      const framed = w.finish();
      assert.equal(w.length, framed.length);
      const [payload] = splitFrames(framed);
      assert.equal(payload.length, framed.length - 4);
      const [tag] = await pythonLoads([payload]);
      const items = (tag as ["list", Tag[]])[1];
      assert.equal(items.length, 5000);
      assert.deepStrictEqual(items[4999], tup(str("series.4999.\u00e9"), f64(4999 / 4)));
      const v = decodePickle(payload) as PickleTuple[];
      assert.ok(v[0] instanceof PickleTuple);
      assert.deepStrictEqual(joinFrames([payload]), framed);
    },
  }),
);
