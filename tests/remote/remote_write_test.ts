// The main thread's side of remote write: files read at start (a bad one names its key), the
// worker thread fed by the log's end in shared memory, its counters read back as samples with
// Prometheus' labels, the log keeping what a remote still needs, and a stop that persists.

import { walOptions } from "../_util/wal.ts";
import { assert, assertEquals } from "../_util/assert.ts";
import { waitFor } from "../_util/net.ts";
import { TestReceiver } from "../_util/remote_write_receiver.ts";
import { Head } from "../../src/appender/head.ts";
import { defaultRemoteWrite, type RemoteWriteConfig } from "../../src/config/remote_write.ts";
import { RemoteWrite } from "../../src/remote/remote_write.ts";
import type { Sample } from "../../src/stats/sample.ts";
import { listSegments } from "../../src/wal/segments.ts";

const TLS = new URL("../fixtures/tls/", import.meta.url).pathname;
const T0 = 1_700_000_000;

async function withHead(fn: (head: Head, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rw-main-" });
  const head = await Head.load({ maxPoints: 100_000, maxLineLen: 4096, debug: true });
  try {
    await fn(head, dir);
  } finally {
    head.closeWal(false);
    await Deno.remove(dir, { recursive: true });
  }
}

function openWal(head: Head, dir: string) {
  return head.openWal(walOptions(dir, { segmentSize: 64 * 1024 })).wal;
}

Deno.test("RemoteWrite refuses unreadable or bad secret and TLS files, naming the key", async () => {
  await withHead(async (head, dir) => {
    const wal = openWal(head, dir);
    const remote = (more: Partial<RemoteWriteConfig>) =>
      new RemoteWrite({
        remotes: [{ ...defaultRemoteWrite(), url: "https://x:1/w", name: "x" }, {
          ...defaultRemoteWrite(),
          url: "https://y:1/w",
          name: "y",
          ...more,
        }],
        wal,
        logging: [],
      });
    const cases: [Partial<RemoteWriteConfig>, RegExp][] = [
      [{ tlsCaFile: `${dir}/none.pem` }, /Cannot read remote-write\[1\]\.tls-ca-file ".*none.pem"/],
      [{ bearerTokenFile: `${dir}/none` }, /remote-write\[1\]\.bearer-token-file/],
      [{ basicAuthPasswordFile: `${dir}/none` }, /remote-write\[1\]\.basic-auth-password-file/],
      [{ tlsCaFile: `${TLS}README.md` }, /Invalid remote-write\[1\]\.tls-ca-file/],
      [
        { tlsCertFile: `${TLS}client.key`, tlsKeyFile: `${TLS}client.key` },
        /Invalid remote-write\[1\]\.tls-cert-file/,
      ],
    ];
    for (const [more, message] of cases) {
      let err: unknown;
      try {
        remote(more);
      } catch (e) {
        err = e;
      }
      assert(err instanceof Error && message.test(err.message), `${String(err)} ~ ${message}`);
    }
    await Promise.resolve();
  });
});

Deno.test("RemoteWrite runs the senders in a worker fed by the log, reports, keeps segments, stops", async () => {
  await withHead(async (head, dir) => {
    const wal = openWal(head, dir);
    const receiver = new TestReceiver();
    let down = false;
    receiver.script = () => (down ? { status: 503 } : undefined);
    await Deno.writeTextFile(`${dir}-token`, "s3cret\n");
    const rw = new RemoteWrite({
      remotes: [{
        ...defaultRemoteWrite(),
        url: receiver.url,
        name: "test",
        bearerTokenFile: `${dir}-token`,
        batchSendDeadline: 20,
        minBackoff: 5,
        maxBackoff: 50,
      }],
      wal,
      logging: [{ logger: "", file: "none", level: "error" }],
    });
    const stat = () => {
      const out = new Map<string, Sample>();
      rw.stat((s) => out.set(`${s.name}${s.labels?.reason ? `/${s.labels.reason}` : ""}`, s));
      return out;
    };
    try {
      rw.start();
      const app = head.appender();
      app.appendPoints(["m.a", "m.b"], [T0, T0], [1, 2]);
      app.commit();
      await waitFor(() => receiver.accepted === 2, "two samples");
      assertEquals(receiver.requests[0].headers.get("authorization"), "Bearer s3cret");
      await waitFor(
        () => stat().get("carbonado_remote_storage_samples_total")?.value === 2,
        "the answer counted",
      );
      const sent = stat().get("carbonado_remote_storage_samples_total")!;
      assertEquals(sent.value, 2);
      assertEquals(sent.labels, { remote_name: "test", url: receiver.url });
      assertEquals(sent.carbon, "remote.test.samplesSent");
      // with the remote down, a checkpoint keeps the segments it has not acknowledged
      down = true;
      const before = listSegments(dir).at(-1)!.index;
      for (let i = 0; i < 50; i++) {
        const a = head.appender();
        a.appendPoints(["m.c"], [T0 + 1 + i], [i]);
        a.commit();
        wal.cut();
      }
      assert(head.checkpoint());
      assert(listSegments(dir)[0].index <= before + 1, "segments the remote needs were kept");
      await rw.stop(100);
      down = false;
    } finally {
      await receiver.close();
      await Deno.remove(`${dir}-token`);
    }
  });
});
