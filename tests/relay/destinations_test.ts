// Members as carbon-c-relay reads and orders them (peers.md E.3, E.4).

import assert from "node:assert/strict";
import {
  buildRing,
  jumpOrder,
  mergeSort,
  parseDestination,
  parseDestinations,
  ringKey,
} from "../../src/relay/destinations.ts";

Deno.test("destinations: host, port and instance; carbon-c-relay's default port", () => {
  assert.deepEqual(parseDestination("10.0.0.1:2004=a", 3, "k"), {
    host: "10.0.0.1",
    port: 2004,
    instance: "a",
    address: "10.0.0.1:2004",
    index: 3,
  });
  assert.equal(parseDestination("graphite-1", 0, "k").port, 2003);
  assert.equal(parseDestination("[::1]:2005", 0, "k").address, "[::1]:2005");
  for (const bad of ["", "h:0", "h:70000", "h:x", "h:1=", "a b:1"]) {
    assert.throws(() => parseDestination(bad, 0, "relay.destinations"), /relay\.destinations/);
  }
  assert.throws(() => parseDestinations([], "relay.destinations"), /empty/);
  assert.throws(() => parseDestinations(["h:1", "h:1=x"], "relay.destinations"), /twice/);
});

Deno.test("destinations: jump order puts members with an instance first, sorted, the rest in config order", () => {
  const d = parseDestinations(
    ["a:1", "b:1=10", "c:1=b", "d:1=9", "e:1", "f:1=a", "g:1=2"],
    "k",
  );
  // glibc's merge sort over carbon-c-relay's comparison: numbers as numbers when both are
  // numeric, strings otherwise (not a consistent order: the merge decides, as in the binary)
  assert.deepEqual(jumpOrder(d).map((i) => d[i].host), ["g", "d", "b", "f", "c", "a", "e"]);
  assert.deepEqual(jumpOrder(parseDestinations(["x:1", "y:1", "z:1"], "k")), [0, 1, 2]);
});

Deno.test("destinations: mergeSort is stable and takes the left run on ties, as glibc's msort", () => {
  const items = [3, 1, 2, 1, 3, 2].map((v, i) => ({ v, i }));
  assert.deepEqual(
    mergeSort(items, (a, b) => a.v - b.v).map((x) => x.i),
    [1, 3, 2, 5, 0, 4],
  );
});

Deno.test("destinations: ring keys as carbon (Python's tuple) and carbon-c-relay's fnv1a_ch build them", () => {
  const [plain, named] = parseDestinations(["10.0.0.1:2003", "10.0.0.2:2004=x"], "k");
  assert.equal(ringKey("carbon_ch", plain, 7), "('10.0.0.1', None):7");
  assert.equal(ringKey("carbon_ch", named, 0), "('10.0.0.2', 'x'):0");
  assert.equal(ringKey("fnv1a_ch", plain, 7), "7-10.0.0.1:2003");
  assert.equal(ringKey("fnv1a_ch", named, 0), "0-x");
});

Deno.test("destinations: a run of equal ring positions carries its first entry's member", () => {
  const d = parseDestinations(["b:1", "a:1", "c:1"], "k");
  const ring = buildRing("fnv1a_ch", d, 2, (key) => key.startsWith("0-") ? 5 : 9);
  assert.deepEqual(ring, [
    { pos: 5, member: 1 }, // a sorts before b and c at the same position
    { pos: 5, member: 1 },
    { pos: 5, member: 1 },
    { pos: 9, member: 1 },
    { pos: 9, member: 1 },
    { pos: 9, member: 1 },
  ]);
});
