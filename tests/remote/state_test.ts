// The sender's files: position.json and the snapshot round-trip, a damaged snapshot or a
// foreign position file is refused with the path named, and leftover .tmp files are removed.

import { assert, assertEquals } from "../_util/assert.ts";
import { type PositionState, StateStore } from "../../src/remote/state.ts";
import { WalCodec } from "../../src/wasm/wal_codec.ts";
import { WasmInstance } from "../../src/wasm/instance.ts";

const codec = new WalCodec(await WasmInstance.load({ maxPoints: 1, maxLineLen: 64 }));
const crc = (b: Uint8Array) => codec.crc32c(b);
const utf8 = new TextEncoder();

async function withStore(fn: (store: StateStore) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rw-state-" });
  try {
    const store = new StateStore(`${dir}/remote-write/x`, crc);
    store.open();
    await fn(store);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("StateStore: position.json round-trips, and nothing is there at first", async () => {
  await withStore(async (store) => {
    assertEquals(store.readPosition(), null);
    assertEquals(store.readSnapshot(), null);
    const state: PositionState = {
      acked: { segment: 12, offset: 98_304, checkpoint: false },
      blocks: [{
        from: { segment: 12, offset: 98_304, checkpoint: false },
        to: { segment: 13, offset: 40, checkpoint: false },
        shards: 4,
        maxSamplesPerSend: 2000,
        done: [0, 1, 3],
      }],
    };
    await store.writePosition(state);
    assertEquals(store.readPosition(), state);
    const names = [...Deno.readDirSync(store.dir)].map((e) => e.name).sort();
    assertEquals(names, ["position.json"]);
  });
});

Deno.test("StateStore: the snapshot round-trips names, refs, -Infinity and a checkpoint position", async () => {
  await withStore(async (store) => {
    const snapshot = {
      position: { segment: 7, offset: 2 ** 33 + 5, checkpoint: true },
      series: [
        { ref: 1, name: utf8.encode("a.b;dc=x"), newest: 1_700_000_000_000 },
        { ref: 2 ** 40 + 1, name: utf8.encode("東京.café"), newest: -Infinity },
        { ref: 3, name: utf8.encode(""), newest: 0 },
      ],
    };
    await store.writeSnapshot(store.encodeSnapshot(snapshot));
    assertEquals(store.readSnapshot(), snapshot);
  });
});

Deno.test("StateStore refuses a damaged snapshot and a foreign position.json, naming the file", async () => {
  await withStore(async (store) => {
    const bytes = store.encodeSnapshot({
      position: { segment: 1, offset: 2, checkpoint: false },
      series: [{ ref: 1, name: utf8.encode("x"), newest: 5 }],
    });
    for (const at of [0, 4, 9, 30, bytes.length - 1]) {
      const bad = bytes.slice();
      bad[at] ^= 0x40;
      await store.writeSnapshot(bad);
      let err: unknown;
      try {
        store.readSnapshot();
      } catch (e) {
        err = e;
      }
      assert(
        err instanceof SyntaxError && err.message.includes(`${store.dir}/snapshot`),
        String(err),
      );
    }
    await Deno.writeTextFile(`${store.dir}/position.json`, '{"version": 9}');
    let err: unknown;
    try {
      store.readPosition();
    } catch (e) {
      err = e;
    }
    assert(err instanceof SyntaxError && /not a version 1 position file/.test(err.message));
  });
});

Deno.test("StateStore.open() removes what a crash left half written", async () => {
  await withStore(async (store) => {
    await Deno.writeTextFile(`${store.dir}/position.json.tmp`, "{");
    store.open();
    assertEquals([...Deno.readDirSync(store.dir)].length, 0);
  });
});
