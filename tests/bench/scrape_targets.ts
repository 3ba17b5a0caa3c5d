// The scrape benchmark's targets, in a process of their own (its CPU is not counted): N paths
// `/t/<i>` on one port, each a page of S series whose values change every request. Prints the
// port on stdout.

import { flatBody } from "./exposition_datasets.ts";

const [targets, series] = Deno.args.map(Number);
const pages = [0, 1].map((round) =>
  new TextEncoder().encode(
    flatBody(series).text.replaceAll(/ ([0-9.]+)\n/g, (_, v) => ` ${Number(v) + round}\n`),
  )
);
let hits = 0;
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
  const i = Number(new URL(req.url).pathname.split("/")[2]);
  if (!(i >= 0 && i < targets)) return new Response("no such target\n", { status: 404 });
  return new Response(pages[hits++ & 1], {
    headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
  });
});
console.log(server.addr.port);
await server.finished;
