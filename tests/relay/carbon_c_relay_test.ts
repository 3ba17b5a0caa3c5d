// Routing, name by name, against Debian's carbon-c-relay 3.7.3 running as a live relay (not its
// `-t` test mode, which hashes differently): the same lines go to carbon-c-relay and then to
// carbonado's relay (its TCP receiver in this process), both forwarding to the same sink
// listeners (fnv1a_ch hashes their ports), and every sink must receive the same names from
// both. Skipped, with a message, where carbon-c-relay is not installed (.ci/run installs it).

import assert from "node:assert/strict";
import { configureLogging } from "../../src/log/logger.ts";
import { TcpReceiver } from "../../src/receiver/tcp.ts";
import type { RouteMethod } from "../../src/wasm/router.ts";
import { LineSink } from "../_util/line_sink.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { startRelay } from "./_relay.ts";
import { startCarbonCRelay } from "../_util/carbon_c_relay.ts";
import { requires } from "../_util/requires.ts";

configureLogging({ level: "error", sink: () => {} });

/** Test lines: names of every kind carbon-c-relay rewrites, each line valid for carbonado. */
function inputLines(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 1500; i++) lines.push(`app${i % 37}.host-${i}.cpu.load ${i} 1700000000`);
  for (let i = 0; i < 200; i++) {
    lines.push(`café.héllo${i}.latency ${i}.5 1700000000`); // UTF-8: each byte becomes _
    lines.push(`日本.語.${i} -${i} 1700000000`);
    lines.push(`disk${i}.used;datacenter=dc${i % 3};rack=a${i} 1 1700000000`); // tags
    lines.push(`disk${i}.used;dc=x..y;.z=w 2 1700000000`);
    lines.push(`\t ..lead${i}.dots  3\t\t1700000000  \r`); // odd whitespace, CRLF
    lines.push(`dup..dots${i}...x. 4 1700000000`);
    lines.push(`odd!chars@${i}$(x) 5e3 1700000000`);
    lines.push(`keep-_:#${i}.x 6 1700000000`);
  }
  return lines;
}

interface Case {
  method: RouteMethod;
  replication: number;
  /** Instance per member; null for none. */
  instances: (string | null)[];
}

async function compare(c: Case): Promise<void> {
  const sinks = c.instances.map(() => LineSink.listen());
  const members = sinks.map((s, i) =>
    `127.0.0.1:${s.port}${c.instances[i] === null ? "" : `=${c.instances[i]}`}`
  );
  const dir = await Deno.makeTempDir({ prefix: "carbonado-ccr-" });
  const theirs = await startCarbonCRelay({ ...c, members });
  const { relay } = await startRelay({
    dir,
    method: c.method,
    replication: c.replication,
    destinations: members,
  });
  const receiver = new TcpReceiver(relay, {
    listen: "127.0.0.1:0",
    readTimeout: 60_000,
    maxLineSize: 262_144,
  });
  receiver.start();
  try {
    const lines = inputLines();
    const text = lines.map((l) => l + "\n").join("");
    const expected = lines.length * c.replication;
    const total = () => sinks.reduce((n, s) => n + s.lines.length, 0);
    // carbon-c-relay first, then carbonado, to the same sinks
    await sendTcp(theirs.port, text);
    await waitFor(() => total() >= expected, "carbon-c-relay's copies");
    const fromTheirs = sinks.map((s) => s.lines.splice(0));
    await sendTcp(receiver.addr.port, text);
    await waitFor(() => total() >= expected, "carbonado's copies");
    const ours = sinks.map((s) => s.lines.splice(0));
    const names = (lines: string[]) => new Set(lines.map((l) => l.split(" ")[0]));
    for (let i = 0; i < sinks.length; i++) {
      const a = names(fromTheirs[i]);
      const b = names(ours[i]);
      const onlyTheirs = [...a].filter((n) => !b.has(n));
      const onlyOurs = [...b].filter((n) => !a.has(n));
      assert.deepEqual(
        { onlyTheirs: onlyTheirs.slice(0, 5), onlyOurs: onlyOurs.slice(0, 5) },
        { onlyTheirs: [], onlyOurs: [] },
        `member ${members[i]}`,
      );
      // the lines too, but for the trailing blank carbon-c-relay keeps
      const norm = (lines: string[]) => lines.map((l) => l.trimEnd()).sort();
      assert.deepEqual(norm(ours[i]), norm(fromTheirs[i]), `lines of member ${members[i]}`);
    }
    assert.equal(ours.flat().length, expected);
  } finally {
    await theirs.stop();
    await receiver.stop();
    await relay.stop(5000);
    await Promise.all(sinks.map((s) => s.close()));
    await Deno.remove(dir, { recursive: true });
  }
}

const MIXED = [null, "10", "b", "9", null, "a", "2"];

for (const replication of [1, 2, 3, 4]) {
  Deno.test(requires("carbon-c-relay", {
    name: `carbon-c-relay live: jump_fnv1a_ch replication ${replication}, numeric and string ` +
      "instances, UTF-8, tags, odd whitespace and dots",
    fn: () => compare({ method: "jump_fnv1a_ch", replication, instances: MIXED }),
  }));
}

Deno.test(requires("carbon-c-relay", {
  name: "carbon-c-relay live: jump_fnv1a_ch replication 2 without instances",
  fn: () =>
    compare({ method: "jump_fnv1a_ch", replication: 2, instances: [null, null, null, null] }),
}));

Deno.test(requires("carbon-c-relay", {
  name: "carbon-c-relay live: fnv1a_ch replication 2, instances override host:port",
  fn: () =>
    compare({ method: "fnv1a_ch", replication: 2, instances: [null, "x1", null, "7", null] }),
}));

Deno.test(requires("carbon-c-relay", {
  name: "carbon-c-relay live: carbon_ch replication 2 (same host, distinct instances)",
  fn: () => compare({ method: "carbon_ch", replication: 2, instances: ["a", "b", "c", "d"] }),
}));
