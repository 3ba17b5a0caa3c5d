// A carbonlink client for tests: one cache-query, answered as graphite-web's CarbonLinkPool
// reads it.

import { readToEnd } from "./net.ts";
import { writeAll } from "../../src/net/stream_server.ts";
import { decodePickle } from "../../src/protocol/pickle_decode.ts";
import { encodePickle } from "../../src/protocol/pickle_encode.ts";

/** Sends a framed `cache-query` for `metric` and returns the decoded answer. */
export async function cacheQuery(port: number, metric: string): Promise<Map<string, unknown>> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(
    conn,
    encodePickle(new Map([["type", "cache-query"], ["metric", metric]]), { framed: true }),
  );
  await conn.closeWrite();
  const reply = await readToEnd(conn);
  conn.close();
  return decodePickle(reply.subarray(4)) as Map<string, unknown>;
}
