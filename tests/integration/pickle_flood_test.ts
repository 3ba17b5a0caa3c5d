// Eight 64 MiB hostile pickle frames at once (issue 9): each is refused within its decoding
// budget and counted by the budget it broke, the frame bytes buffered never exceed
// pickle.max-buffered-size, the connections stay usable, and /healthz and a plaintext client are
// served while the frames decode. "While" is witnessed, not timed: a /metrics page reporting a
// frame mid-decode (carbonado_pickle_frames_decoding > 0) before and after the request, with no
// frame finished in between, means the request was served in the middle of that frame's decode.

import { assert, assertEquals } from "../_util/assert.ts";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import {
  FLOOD_FRAME_BYTES,
  hugeIntegerFrame,
  nestedListsFrame,
  sendFlood,
} from "../_util/pickle_flood.ts";
import { encodePickle } from "../../src/protocol/pickle_encode.ts";
import { pickleTuple } from "../../src/protocol/pickle_decode.ts";

const REJECTED = "carbonado_pickle_frames_rejected_total";
const DECODING = "carbonado_pickle_frames_decoding";

/** Frames refused so far, every reason together. */
function rejectedTotal(page: string): number {
  let n = 0;
  for (const line of page.split("\n")) {
    if (line.startsWith(REJECTED + "{")) n += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return n;
}

Deno.test("pickle: eight 64 MiB hostile frames are refused by budget while /healthz and plaintext are served", async () => {
  const dataDir = await Deno.makeTempDir();
  const daemon = await startDaemon({ dataDir });
  const metricsUrl = `http://${daemon.listeners.prometheus}/metrics`;
  const healthUrl = `http://${daemon.listeners.prometheus}/healthz`;
  try {
    const now = Math.floor(Date.now() / 1000);
    const nested = nestedListsFrame();
    const good = encodePickle([pickleTuple("flood.after", pickleTuple(now, 1))]);
    const goodFrame = new Uint8Array(4 + good.length);
    new DataView(goodFrame.buffer).setUint32(0, good.length);
    goodFrame.set(good, 4);
    const flood = sendFlood(
      daemon.port("pickle"),
      [...Array(7).fill(nested), hugeIntegerFrame()],
      goodFrame, // each connection goes on after its hostile frame
    );

    let healthDuringDecode = false;
    let plainDuringDecode = false;
    let plainSent = 0;
    const plainAccepted = 'carbonado_received_points_total{protocol="tcp"}';
    await waitFor(
      async () => {
        const before = await fetchText(metricsUrl);
        if (!(promValue(before, DECODING)! > 0)) return rejectedTotal(before) === 8;
        const health = await fetch(healthUrl);
        const healthOk = health.status === 200 && await health.text() === "ok\n";
        if (!plainDuringDecode) {
          await sendTcp(daemon.port("tcp"), `flood.plain ${++plainSent} ${now}\n`);
        }
        // until the line is counted, or the decode seen before has ended (a busy machine may
        // serve the next /metrics before it reads the line)
        let after = await fetchText(metricsUrl);
        while (
          !plainDuringDecode && promValue(after, plainAccepted) !== plainSent &&
          promValue(after, DECODING)! > 0 && rejectedTotal(after) === rejectedTotal(before)
        ) after = await fetchText(metricsUrl);
        const sameDecode = promValue(after, DECODING)! > 0 &&
          rejectedTotal(after) === rejectedTotal(before);
        if (sameDecode && healthOk) {
          healthDuringDecode = true;
        }
        if (sameDecode && promValue(after, plainAccepted) === plainSent) plainDuringDecode = true;
        return healthDuringDecode && plainDuringDecode;
      },
      "a decode in progress across /healthz and a plaintext line, or the flood's end",
    );
    assert.ok(healthDuringDecode, "/healthz was answered while a frame was decoding");
    assert.ok(plainDuringDecode, "a plaintext line was accepted while a frame was decoding");

    await flood;
    let page = "";
    await waitFor(async () => rejectedTotal(page = await fetchText(metricsUrl)) === 8);
    assertEquals(promValue(page, `${REJECTED}{reason="containers"}`), 7);
    assertEquals(promValue(page, `${REJECTED}{reason="integer"}`), 1);
    assertEquals(promValue(page, `${REJECTED}{reason="decode"}`), 0);
    const peak = promValue(page, "carbonado_pickle_buffered_bytes_peak")!;
    assert.ok(
      peak >= FLOOD_FRAME_BYTES - 4 && peak <= 64 << 20,
      `buffered bytes peaked at ${peak}, within pickle.max-buffered-size`,
    );
    assert.ok(promValue(page, "carbonado_pickle_buffer_waits_total")! > 0, "connections waited");
    assertEquals(promValue(page, "carbonado_pickle_buffered_bytes"), 0);
    // the good frame behind each hostile one landed: the connections were kept
    await waitFor(async () =>
      promValue(
        page = await fetchText(metricsUrl),
        'carbonado_received_points_total{protocol="pickle"}',
      ) === 8
    );
  } finally {
    const status = await daemon.stop();
    assertEquals(status.code, 0);
    await Deno.remove(dataDir, { recursive: true });
  }
});
