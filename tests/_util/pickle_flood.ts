// Hostile pickle frames for the flood test and benchmark (issue 9): a frame of the given size
// (4-byte length included) that is nested lists (`]` then APPEND, each list into the one below)
// or one huge LONG integer, and the sending of several at once on their own connections.

import { writeAll } from "../../src/net/stream_server.ts";

/** 64 MiB less a little: the largest frame under pickle.max-message-size's default. */
export const FLOOD_FRAME_BYTES = (64 << 20) - 64;

/** `]]]...aaa.`: half the body makes lists, the other half appends each into the one below. */
export function nestedListsFrame(frameBytes = FLOOD_FRAME_BYTES): Uint8Array {
  const body = frameBytes - 4;
  const f = new Uint8Array(frameBytes);
  new DataView(f.buffer).setUint32(0, body);
  f.set([0x80, 0x02], 4); // PROTO 2
  const lists = Math.floor((body - 3) / 2);
  f.fill(0x5d, 6, 6 + lists); // EMPTY_LIST
  f.fill(0x61, 6 + lists, frameBytes - 1); // APPEND
  f[frameBytes - 1] = 0x2e; // STOP
  return f;
}

/** `L999...9\n.`: one integer of about `frameBytes` digits. */
export function hugeIntegerFrame(frameBytes = FLOOD_FRAME_BYTES): Uint8Array {
  const body = frameBytes - 4;
  const f = new Uint8Array(frameBytes);
  new DataView(f.buffer).setUint32(0, body);
  f.set([0x80, 0x02, 0x4c], 4); // PROTO 2, LONG
  f.fill(0x39, 7, frameBytes - 2);
  f[frameBytes - 2] = 0x0a;
  f[frameBytes - 1] = 0x2e;
  return f;
}

/**
 * Opens one connection per frame and writes them all at once; each connection then sends
 * `after` (if given) and closes. Resolves when every write is done.
 */
export async function sendFlood(
  port: number,
  frames: Uint8Array[],
  after?: Uint8Array,
): Promise<void> {
  await Promise.all(frames.map(async (frame) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await writeAll(conn, frame);
      if (after) await writeAll(conn, after);
      await conn.closeWrite();
      // wait for the daemon to close (it has read everything): a read returns null
      const buf = new Uint8Array(16);
      while (await conn.read(buf) !== null);
    } finally {
      conn.close();
    }
  }));
}
