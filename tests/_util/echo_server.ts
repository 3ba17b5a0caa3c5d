// A StreamServer echoing each connection's bytes, run as its own process (under a small
// `ulimit -n` by tests/net/accept_errors_test.ts): prints `{"port": N}`, then for each line on
// stdin its counters as JSON; stops and exits 0 when stdin ends.

import { StreamServer } from "../../src/net/stream_server.ts";
import { echo } from "./net.ts";
import { ConnectionBudget } from "../../src/net/descriptors.ts";
import { Logger } from "../../src/log/logger.ts";

// no limit of its own: accepting runs into the descriptor limit itself (EMFILE)
const server = new StreamServer(
  {
    listen: "127.0.0.1:0",
    key: "tcp.listen",
    readTimeout: 0,
    budget: new ConnectionBudget(Infinity),
  },
  echo,
  new Logger("echo"),
);
server.start();
const out = (v: unknown) =>
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(v) + "\n"));
out({ port: server.addr.port });
for await (const _ of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  out({ acceptErrors: server.acceptErrors, connections: server.connections });
}
await server.stop();
