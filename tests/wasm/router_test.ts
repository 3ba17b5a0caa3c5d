// The wasm router (assembly/route.ts through src/wasm/router.ts): carbon-c-relay's hashing
// vectors (peers.md E.5), the live-relay corrections, its name sanitizing, line checks, reroute.

import assert from "node:assert/strict";
import { parseDestinations, routingTables } from "../../src/relay/destinations.ts";
import { WasmInstance } from "../../src/wasm/instance.ts";
import { type RouteMethod, WasmRouter } from "../../src/wasm/router.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function router(
  method: RouteMethod,
  members: string[],
  replication: number,
  allowedChars = "-_:#",
): Promise<WasmRouter> {
  const wasm = await WasmInstance.load({ maxPoints: 1, maxLineLen: 1024, debug: true });
  const r = new WasmRouter(wasm);
  r.setup({ method, replication, members: members.length, allowedChars });
  const dests = parseDestinations(members, "test");
  const tables = routingTables(method, dests, r.ringReplicas, (m, k) => r.ringPosition(m, k));
  if ("order" in tables) r.setOrder(tables.order);
  else r.setRing(tables.ring);
  return r;
}

/** Routes `text` and returns each member's output lines. */
function routeText(r: WasmRouter, text: string, only = -1): string[][] {
  r.begin();
  r.route(encoder.encode(text), only);
  return Array.from({ length: r.members }, (_, m) => {
    const out = decoder.decode(r.outputView(m, 0, r.output(m).bytes));
    return out.split("\n").filter((l) => l !== "");
  });
}

/** The members (1-based, as the vectors name them) a line goes to. */
function membersOf(r: WasmRouter, line: string): number[] {
  return routeText(r, line + "\n").flatMap((lines, m) => lines.length > 0 ? [m + 1] : []);
}

const TEN = ["10.0.0.1:2003", "10.0.0.2:2003", "10.0.0.3:2003", "10.0.0.4:2003"];

// peers.md E.5, names whose test-mode and production routes agree (no tags, ASCII)
const VECTORS: [string, number, number[], number, number[], number[]][] = [
  // name, carbon_ch pos, nodes, fnv1a_ch pos, nodes, jump nodes
  ["a.b.c", 21823, [2, 4], 34049, [1, 2], [2, 4]],
  ["foo.bar", 1273, [1, 3], 58720, [3, 4], [2, 4]],
  ["sys.cpu.loadavg.app.host-0001", 46335, [2, 3], 185, [3, 4], [2, 3]],
  ["carbon.agents.host1.cache.size", 47919, [3, 4], 20260, [2, 4], [1, 4]],
  ["disk.used", 25227, [1, 2], 46562, [2, 3], [1, 2]],
];

Deno.test("router: carbon-c-relay's ring positions and replica sets (peers.md E.5)", async () => {
  const carbon = await router("carbon_ch", TEN, 2);
  const fnv = await router("fnv1a_ch", TEN, 2);
  const jump = await router("jump_fnv1a_ch", TEN, 2);
  for (const [name, cPos, cNodes, fPos, fNodes, jNodes] of VECTORS) {
    assert.equal(carbon.ringPosition("carbon_ch", name), cPos, name);
    assert.equal(fnv.ringPosition("fnv1a_ch", name), fPos, name);
    assert.deepEqual(membersOf(carbon, `${name} 1 100`), cNodes, `carbon_ch ${name}`);
    assert.deepEqual(membersOf(fnv, `${name} 1 100`), fNodes, `fnv1a_ch ${name}`);
    assert.deepEqual(membersOf(jump, `${name} 1 100`), jNodes, `jump_fnv1a_ch ${name}`);
  }
});

Deno.test("router: the live relay's routes: UTF-8 becomes _ before hashing, tags never route", async () => {
  // peers.md E.5, the correction from Debian's carbon-c-relay 3.7.3 run as a live relay
  const jump = await router("jump_fnv1a_ch", TEN, 2);
  const out = routeText(jump, "café.latency 6 100\n");
  assert.deepEqual(out.flat(), ["caf__.latency 6 100", "caf__.latency 6 100"]);
  assert.deepEqual(membersOf(jump, "café.latency 6 100"), membersOf(jump, "caf__.latency 6 100"));
  const local = await router("jump_fnv1a_ch", [
    "127.0.0.1:2101",
    "127.0.0.1:2102",
    "127.0.0.1:2103",
    "127.0.0.1:2104",
  ], 2);
  assert.deepEqual(membersOf(local, "disk.used;datacenter=dc1;rack=a1 7 100"), [1, 2]);
  assert.deepEqual(membersOf(local, "disk.used 7 100"), [1, 2]);
});

// What carbonado forwards for a line (carbon-c-relay's name rules; fields as the parser splits
// them); "" for a refused line. carbon-c-relay's own output, where it differs, in the comment.
const SANITIZE: [string, string][] = [
  ["a.b.c 1 100", "a.b.c 1 100"],
  ["  ..a..b.  .5\t\t100  \r", "a.b .5 100"], // carbon-c-relay: "a.b 5 100 " (drops the dot)
  ["q/r\x01s 1 2", "q_r_s 1 2"],
  ["n.m;t=v..x;.u=w 1 2", "n.m;t=v.x;.u=w 1 2"],
  ["n.m.;t=v 1 2", "n.m.;t=v 1 2"], // a dot before the tags stays, as in carbon-c-relay
  ["a.b; 1 2", "a.b; 1 2"], // carbon-c-relay: "a.b;1 2" (eats the space after the `;`)
  ["x;.t=v 1 2", "x;t=v 1 2"],
  ["with space\\in 1 2", ""], // four fields
  ["Ünïcode.métric 1 2", "__n__code.m__tric 1 2"],
  ["keep-_:#.these 1 2", "keep-_:#.these 1 2"],
  ["drop!@$%^&*()=+.those 1 2", "drop___________.those 1 2"],
  ["a.b 1e3 1700000000.5", "a.b 1e3 1700000000.5"],
  ["x.y 1..5 2", ""], // carbon-c-relay: "x.y 1.5 2"
  ["x.y 1 2 3", ""],
  ["x.y 1", ""], // carbon-c-relay forwards it
  ["... 1 2", ""],
  ["x.y nan 2", ""],
  ["x.y 1 -", ""],
  // the rare number forms the JS side decides
  ["x.y 1 -0.5", "x.y 1 -0.5"],
  ["x.y 1 -5", ""],
  ["x.y 12345678901234567890123 1e9", "x.y 12345678901234567890123 1e9"],
  ["x.y 1 1e99", ""],
];

Deno.test("router: names are sanitized as carbon-c-relay's dispatcher does, lines as carbonado checks them", async () => {
  const r = await router("jump_fnv1a_ch", ["127.0.0.1:1"], 1);
  for (const [input, want] of SANITIZE) {
    const out = routeText(r, input + "\n")[0];
    assert.deepEqual(out, want === "" ? [] : [want], JSON.stringify(input));
  }
});

Deno.test("router: refused lines are counted by reason; blank lines are not counted", async () => {
  const r = await router("jump_fnv1a_ch", ["127.0.0.1:1"], 1);
  r.begin();
  r.route(encoder.encode(
    "a 1 2\n\n  \r\nb 1\n... 1 2\nc x 2\nd 1 y\n" + "e".repeat(1100) + " 1 2\nf 1 2\n",
  ));
  const c = r.counts();
  assert.equal(c.lines, 2);
  assert.equal(c.copies, 2);
  assert.deepEqual(c.rejected.slice(0, 6), [1, 1, 0, 1, 1, 1]);
});

Deno.test("router: a partial last line is left for the next block, split anywhere", async () => {
  const r = await router("jump_fnv1a_ch", TEN, 2);
  const text = "a.b.c 1 100\nfoo.bar 2 100\r\ncafé.x\t3 100\n";
  const whole = routeText(r, text);
  const bytes = encoder.encode(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    r.begin();
    const first = r.route(bytes.subarray(0, cut));
    assert.equal(first, bytes.subarray(0, cut).lastIndexOf(0x0a) + 1);
    r.route(bytes.subarray(first));
    const got = Array.from(
      { length: 4 },
      (_, m) => decoder.decode(r.outputView(m, 0, r.output(m).bytes)).split("\n").filter((l) => l),
    );
    assert.deepEqual(got, whole, `cut at ${cut}`);
  }
});

Deno.test("router: a down member's lines go to the next member that holds no replica of them", async () => {
  const members = ["h:1", "h:2", "h:3", "h:4", "h:5"];
  const r = await router("jump_fnv1a_ch", members, 2);
  const names = Array.from({ length: 500 }, (_, i) => `svc${i}.requests`);
  const home = new Map(names.map((n) => [n, membersOf(r, `${n} 1 2`)]));
  r.setDown(1, true); // member 2
  r.setDown(2, true); // member 3
  let rerouted = 0;
  for (const n of names) {
    const before = home.get(n)!;
    const after = membersOf(r, `${n} 1 2`);
    assert.equal(new Set(after).size, 2, n);
    assert.ok(!after.includes(2) && !after.includes(3), `${n} still goes to a down member`);
    for (const m of before) {
      if (m === 2 || m === 3) {
        rerouted++;
        continue;
      }
      assert.ok(after.includes(m), `${n} left ${m}, which is up`);
    }
  }
  assert.ok(rerouted > 0);
  // with every other member taken or down, the line stays with its member
  const two = await router("jump_fnv1a_ch", ["h:1", "h:2"], 2);
  two.setDown(0, true);
  assert.deepEqual(membersOf(two, "x 1 2"), [1, 2]);
});

Deno.test("router: rerouting a down member's queue moves only that member's replicas", async () => {
  const r = await router("jump_fnv1a_ch", ["h:1", "h:2", "h:3", "h:4"], 2);
  const names = Array.from({ length: 200 }, (_, i) => `q${i}.x`);
  const onTwo = names.filter((n) => membersOf(r, `${n} 1 2`).includes(2));
  r.setDown(1, true);
  const out = routeText(r, onTwo.map((n) => `${n} 1 2\n`).join(""), 1);
  assert.equal(out[1].length, 0);
  assert.equal(out.flat().length, onTwo.length); // one copy each: the other replica stays put
  for (const line of out.flat()) {
    const name = line.split(" ")[0];
    const now = membersOf(r, `${name} 1 2`);
    assert.ok(out.some((lines, m) => lines.includes(line) && now.includes(m + 1)), name);
  }
});

Deno.test("router: with ; allowed in names, tags are part of the routing key", async () => {
  const tags = await router("jump_fnv1a_ch", TEN, 1);
  const noTags = await router("jump_fnv1a_ch", TEN, 1, "-_:#;");
  const names = Array.from({ length: 64 }, (_, i) => `m${i};dc=x${i}`);
  const differs = names.filter((n) =>
    membersOf(noTags, `${n} 1 2`)[0] !== membersOf(tags, `${n} 1 2`)[0]
  );
  assert.ok(differs.length > 0);
  for (const n of names) {
    assert.deepEqual(membersOf(tags, `${n} 1 2`), membersOf(tags, `${n.split(";")[0]} 1 2`));
  }
});
