// Tests of carbonlink request parsing: graphite-web's requests as CPython pickles them with every
// protocol (and Python 2's), malformed ones, and one real-socket exchange with a Python client
// that does what graphite-web's CarbonLinkPool does.

import assert from "node:assert/strict";
import {
  CarbonlinkRequestError,
  carbonlinkRequestFromValue,
  parseCarbonlinkRequest,
} from "../../src/protocol/carbonlink_request.ts";
import type { CarbonlinkRequest } from "../../src/protocol/carbonlink_request.ts";
import {
  encodeDatapointsByMetricReply,
  encodeDatapointsReply,
  encodeErrorReply,
  encodePickle,
  encodeValueReply,
} from "../../src/protocol/pickle_encode.ts";
import { pickleTuple } from "../../src/protocol/pickle_decode.ts";
import type { PickleValue } from "../../src/protocol/pickle_decode.ts";
import { bin, fromHex, loadCases } from "./pickle_oracle.ts";
import { PYTHON, requires } from "../_util/requires.ts";

const cases = loadCases();

// What each request of the fixtures must parse to, or the error text to answer; keyed by the
// request as JSON with sorted keys (cases.json sorts them).
const EXPECTED: Record<string, CarbonlinkRequest | string> = {
  '{"metric":"a.b.c","type":"cache-query"}': { type: "cache-query", metric: "a.b.c" },
  '{"metric":"café.x","type":"cache-query"}': { type: "cache-query", metric: "caf\xe9.x" },
  '{"metrics":["a.b.c","d.e.f","a.b.c"],"type":"cache-query-bulk"}': {
    type: "cache-query-bulk",
    metrics: ["a.b.c", "d.e.f", "a.b.c"],
  },
  '{"metrics":[],"type":"cache-query-bulk"}': { type: "cache-query-bulk", metrics: [] },
  '{"key":"aggregationMethod","metric":"a.b.c","type":"get-metadata"}': {
    type: "get-metadata",
    metric: "a.b.c",
    key: "aggregationMethod",
  },
  '{"key":"aggregationMethod","metric":"a.b.c","type":"set-metadata","value":"max"}': {
    type: "set-metadata",
    metric: "a.b.c",
    key: "aggregationMethod",
    value: "max",
  },
  '{"metric":"a.b.c","type":"cache-flush"}': 'Invalid request type "cache-flush"',
  '{"type":"cache-query"}': 'Invalid request: no "metric" key',
  '{"metric":42,"type":"cache-query"}': 'Invalid request: "metric" is a int, not a str',
  '{"metric":"a.b.c"}': 'Invalid request: no "type" key',
};

Deno.test("parseCarbonlinkRequest() reads graphite-web's requests pickled with every protocol", () => {
  let n = 0;
  for (const c of cases.carbonlink) {
    const expected = EXPECTED[JSON.stringify(c.request)];
    assert.ok(expected !== undefined, `no expectation for ${c.name}`);
    const payload = fromHex(c.hex);
    if (typeof expected === "string") {
      assert.throws(
        () => parseCarbonlinkRequest(payload),
        { name: "CarbonlinkRequestError", message: expected },
        c.name,
      );
    } else {
      assert.deepStrictEqual(parseCarbonlinkRequest(payload), expected, c.name);
    }
    n++;
  }
  assert.ok(n >= 66, `only ${n} requests`);
});

Deno.test("CarbonlinkRequestError is a TypeError carrying the text to answer", () => {
  try {
    carbonlinkRequestFromValue(new Map([["type", "nope"]]));
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof CarbonlinkRequestError);
    assert.ok(e instanceof TypeError);
    assert.equal(e.name, "CarbonlinkRequestError");
    assert.equal(e.message, 'Invalid request type "nope"');
  }
});

Deno.test("carbonlinkRequestFromValue() refuses what is not a request, with Python's wording for the type", () => {
  const m = (...pairs: [PickleValue, PickleValue][]) => new Map<PickleValue, PickleValue>(pairs);
  const table: [PickleValue, string][] = [
    [null, "Invalid request: expected a dict, got None"],
    [[], "Invalid request: expected a dict, got list"],
    [pickleTuple("type", "cache-query"), "Invalid request: expected a dict, got tuple"],
    [m([bin("type"), "cache-query"]), 'Invalid request: no "type" key'],
    [m(["type", 3]), 'Invalid request type "3"'],
    [m(["type", 2.5]), 'Invalid request type "2.5"'],
    [m(["type", null]), 'Invalid request type "None"'],
    [m(["type", true]), 'Invalid request type "True"'],
    [m(["type", bin("cache-query")]), 'Invalid request type "<bytes>"'],
    [
      m(["type", "cache-query"], ["metric", null]),
      'Invalid request: "metric" is a None, not a str',
    ],
    [
      m(["type", "cache-query"], ["metric", bin("\xff")]),
      'Invalid request: "metric" is a bytes, not a str',
    ],
    [
      m(["type", "cache-query-bulk"], ["metrics", "a.b"]),
      'Invalid request: "metrics" is a str, not a list',
    ],
    [
      m(["type", "cache-query-bulk"], ["metrics", ["a", 1]]),
      'Invalid request: "metrics"[1] is a int, not a str',
    ],
    [m(["type", "get-metadata"], ["metric", "a"]), 'Invalid request: no "key" key'],
    [m(["type", "set-metadata"], ["metric", "a"], ["key", "k"]), 'Invalid request: no "value" key'],
  ];
  for (const [value, message] of table) {
    assert.throws(() => carbonlinkRequestFromValue(value), {
      name: "CarbonlinkRequestError",
      message,
    });
  }
});

Deno.test("carbonlinkRequestFromValue() accepts bytes names, tuples of metrics and extra keys", () => {
  const m = (...pairs: [PickleValue, PickleValue][]) => new Map<PickleValue, PickleValue>(pairs);
  assert.deepStrictEqual(
    carbonlinkRequestFromValue(m(["type", "cache-query"], ["metric", bin("a.b")], ["extra", 1])),
    { type: "cache-query", metric: "a.b" },
  );
  assert.deepStrictEqual(
    carbonlinkRequestFromValue(
      m(["type", "cache-query-bulk"], ["metrics", pickleTuple("a", bin("b"))]),
    ),
    { type: "cache-query-bulk", metrics: ["a", "b"] },
  );
  assert.deepStrictEqual(
    parseCarbonlinkRequest(
      encodePickle({ type: "set-metadata", metric: "m", key: "k", value: [1, 2] }),
    ),
    { type: "set-metadata", metric: "m", key: "k", value: [1, 2] },
  );
});

Deno.test("parseCarbonlinkRequest() refuses an unsafe or broken pickle with a SyntaxError", () => {
  for (const c of cases.hostile) {
    assert.throws(() => parseCarbonlinkRequest(fromHex(c.hex)), SyntaxError, c.name);
  }
  assert.throws(
    () => parseCarbonlinkRequest(bin("\x80\x02}q\x00(X\x04\x00\x00\x00type")),
    SyntaxError,
  );
  assert.throws(() => parseCarbonlinkRequest(new Uint8Array()), SyntaxError);
});

/** Reads exactly `n` bytes, or returns null at end of stream before the first one. */
async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array | null> {
  const buf = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(buf.subarray(got));
    if (r === null) {
      if (got === 0) return null;
      throw new Error(`Connection closed after ${got} of ${n} bytes`);
    }
    got += r;
  }
  return buf;
}

/** A carbonlink server over one connection, answering from fixed data. */
async function serveOne(listener: Deno.Listener): Promise<string[]> {
  const seen: string[] = [];
  const conn = await listener.accept();
  try {
    for (;;) {
      const head = await readExactly(conn, 4);
      if (head === null) break;
      const size = new DataView(head.buffer).getUint32(0, false);
      const payload = (await readExactly(conn, size))!;
      let reply: Uint8Array;
      try {
        const req = parseCarbonlinkRequest(payload);
        seen.push(req.type);
        switch (req.type) {
          case "cache-query":
            reply = encodeDatapointsReply(
              {
                timestamps: new Uint32Array([1700000000, 1700000060]),
                values: new Float64Array([1.5, 2]),
              },
              { framed: true },
            );
            break;
          case "cache-query-bulk":
            reply = encodeDatapointsByMetricReply(
              req.metrics.map((name, i) =>
                [name, { timestamps: [1700000000 + i], values: [i] }] as const
              ),
              { framed: true },
            );
            break;
          case "get-metadata":
            reply = encodeValueReply("average", { framed: true });
            break;
          case "set-metadata":
            reply = encodePickle({ old_value: "average", new_value: req.value }, { framed: true });
            break;
        }
      } catch (e) {
        if (!(e instanceof CarbonlinkRequestError)) throw e;
        seen.push("error");
        reply = encodeErrorReply(e.message, { framed: true });
      }
      for (let off = 0; off < reply.length;) off += await conn.write(reply.subarray(off));
    }
  } finally {
    conn.close();
  }
  return seen;
}

// graphite-web's CarbonLinkPool, reduced to one connection: pickle.dumps(request, protocol=-1),
// a 4-byte length, recv_exactly, and an unpickler refusing globals.
const GRAPHITE_WEB_CLIENT = `
import io, json, pickle, socket, struct, sys

class NoGlobals(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError("global %s.%s is forbidden" % (module, name))

class CarbonLinkRequestError(Exception):
    pass

conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))

def recv_exactly(n):
    buf = b""
    while len(buf) < n:
        data = conn.recv(n - len(buf))
        if not data:
            raise Exception("Connection lost")
        buf += data
    return buf

def send_request(request):
    serialized = pickle.dumps(request, protocol=-1)
    conn.sendall(struct.pack("!L", len(serialized)) + serialized)
    (size,) = struct.unpack("!L", recv_exactly(4))
    result = NoGlobals(io.BytesIO(recv_exactly(size))).load()
    if "error" in result:
        raise CarbonLinkRequestError(result["error"])
    return result

out = {}
out["query"] = send_request(dict(type="cache-query", metric="a.b.c"))["datapoints"]
out["query_bulk"] = send_request(dict(type="cache-query-bulk", metrics=["a", "b"]))["datapointsByMetric"]
out["get_metadata"] = send_request(dict(type="get-metadata", metric="a.b.c", key="aggregationMethod"))["value"]
out["set_metadata"] = send_request(dict(type="set-metadata", metric="a.b.c", key="aggregationMethod", value="max"))
try:
    send_request(dict(type="cache-flush", metric="a.b.c"))
except CarbonLinkRequestError as e:
    out["error"] = str(e)
conn.close()
print(json.dumps(out, sort_keys=True))
`;

Deno.test(
  requires("python3", {
    name: "a graphite-web style client gets its answers over a real socket",
    fn: async () => {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      try {
        const served = serveOne(listener);
        const client = new Deno.Command(PYTHON, {
          args: ["-c", GRAPHITE_WEB_CLIENT, String(listener.addr.port)],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const [seen, { code, stdout, stderr }] = await Promise.all([served, client]);
        assert.equal(code, 0, new TextDecoder().decode(stderr));
        assert.deepStrictEqual(seen, [
          "cache-query",
          "cache-query-bulk",
          "get-metadata",
          "set-metadata",
          "error",
        ]);
        assert.deepStrictEqual(JSON.parse(new TextDecoder().decode(stdout)), {
          query: [[1700000000, 1.5], [1700000060, 2]],
          query_bulk: { a: [[1700000000, 0]], b: [[1700000001, 1]] },
          get_metadata: "average",
          set_metadata: { old_value: "average", new_value: "max" },
          error: 'Invalid request type "cache-flush"',
        });
      } finally {
        listener.close();
      }
    },
  }),
);
