// A plaintext sink as a process of its own (see ProcessSink in line_sink.ts): listens on
// 127.0.0.1:<port> (0: any free port), prints the port it got, and appends every byte it reads
// from any connection to <file>, each read written out before the next.
// Usage: deno run --allow-net --allow-write sink_process.ts <port> <file>

const [port, file] = Deno.args;
const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(port) });
const out = Deno.openSync(file, { write: true, create: true, append: true });
Deno.stdout.writeSync(new TextEncoder().encode(`${listener.addr.port}\n`));

async function serve(conn: Deno.TcpConn): Promise<void> {
  const buf = new Uint8Array(65536);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      for (let off = 0; off < n;) off += out.writeSync(buf.subarray(off, n));
    }
  } catch { /* reset by the peer */ }
  conn.close();
}

for await (const conn of listener) serve(conn);
