// The [tags] send queue and sender: bounded in bytes, persistent across reopen, a torn line cut
// off; posts in chunks, retries a TagDB that fails, and keeps what it could not send.

import { assertEquals } from "../_util/assert.ts";
import { waitFor } from "../_util/net.ts";
import { SendQueue } from "../../src/tags/send_queue.ts";
import { TagDbSender } from "../../src/tags/tagdb_sender.ts";

Deno.test("SendQueue keeps names across reopen, cuts a torn line, and drops past its bound", () => {
  const dir = Deno.makeTempDirSync();
  const q = new SendQueue(dir, 40);
  assertEquals(q.open(), 0);
  assertEquals(q.push("a;k=1"), true);
  assertEquals(q.push("b;k=2"), true);
  assertEquals(q.push("c;k=3"), true);
  const head = q.peek(2);
  assertEquals(head.names, ["a;k=1", "b;k=2"]);
  q.ack(head.next);
  assertEquals(q.push("d;k=4"), true);
  assertEquals(q.push("e;k=5;much=longer"), false, "past the 40-byte bound");
  assertEquals(q.dropped, 1);
  q.close();
  Deno.writeTextFileSync(`${dir}/queue`, "torn;k=", { append: true });
  const again = new SendQueue(dir, 40);
  assertEquals(again.open(), 2);
  const rest = again.peek(10);
  assertEquals(rest.names, ["c;k=3", "d;k=4"]);
  again.ack(rest.next);
  assertEquals(again.pendingBytes, 0);
  assertEquals(Deno.statSync(`${dir}/queue`).size, 0, "emptied once all is sent");
  again.close();
});

Deno.test("TagDbSender posts chunks of path= fields and retries a failing TagDB", async () => {
  const posts: string[][] = [];
  let failures = 2;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const form = await req.formData();
    if (failures-- > 0) return new Response("busy", { status: 503 });
    posts.push(form.getAll("path") as string[]);
    return Response.json([]);
  });
  const sender = new TagDbSender({
    tagdbUrl: `http://127.0.0.1:${server.addr.port}`,
    tagdbChunkSize: 2,
    tagdbUpdateInterval: 3,
    tagdbTimeout: 5000,
    localDir: Deno.makeTempDirSync(),
    maxQueueBytes: 1 << 20,
  });
  try {
    sender.start();
    sender.add("a;k=1", true);
    sender.add("b;k=2", true);
    sender.add("c;k=3", true);
    sender.add("plain.name", true); // untagged: never posted
    for (let i = 0; i < 3; i++) sender.add("d;k=4", false); // every third update goes
    await waitFor(() => posts.flat().length === 4);
    assertEquals(posts, [["a;k=1", "b;k=2"], ["c;k=3", "d;k=4"]]);
  } finally {
    await sender.stop();
    await server.shutdown();
  }
});
