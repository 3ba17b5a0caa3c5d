// The relay's way with structured protocols (Influx, OpenTSDB telnet, remote_write, scraped
// Prometheus expositions): their
// payloads are parsed by the TS reference parsers into points, which the relay then forwards as
// plaintext lines like pickle's. The wasm parsers stage straight into the cache's batch, which a
// relay-only node does not keep; relaying these protocols is the rare case, so the reference
// parsers' speed is enough here (docs/relay.md).

import type { Appender } from "../appender/appender.ts";
import { parseExposition } from "../protocol/exposition.ts";
import { parseInfluxBlock } from "../protocol/influx.ts";
import { parseTsdbBlock } from "../protocol/opentsdb.ts";
import type { RejectReason } from "../protocol/plaintext.ts";
import { decodeWriteRequest, seriesPoints } from "../protocol/remote_write.ts";
import { snappyDecode, snappyDecodedLength } from "../protocol/snappy.ts";

/** Where parsed points go: names, timestamps and values, and refusals by reason. */
export interface PointSink {
  points(names: readonly string[], timestamps: number[], values: number[]): void;
  reject(reason: RejectReason, n?: number): void;
}

type StructuredMethods = Pick<
  Appender,
  "appendInflux" | "appendOpenTsdb" | "appendRemoteWrite" | "appendExposition"
>;

/** The structured append methods of an appender that takes points only. */
export function structuredPoints(sink: PointSink): StructuredMethods {
  const collect = () => {
    const names: string[] = [], timestamps: number[] = [], values: number[] = [];
    return {
      names,
      timestamps,
      values,
      point: (p: { name: string; timestamp: number; value: number }) => {
        names.push(p.name);
        timestamps.push(p.timestamp);
        values.push(p.value);
      },
      flush: () => sink.points(names, timestamps, values),
    };
  };
  return {
    appendInflux(bytes, opts) {
      const c = collect();
      let skipped = 0;
      const now = opts.now ?? Math.floor(Date.now() / 1000);
      const input = withFinalLf(bytes, opts.final ?? false);
      const consumed = parseInfluxBlock(input, { ...opts, now }, {
        point: c.point,
        reject: (reason) => sink.reject(reason),
        stringSkipped: () => skipped++,
      }, opts.maxLineLen);
      c.flush();
      return { consumed: Math.min(consumed, bytes.length), skipped };
    },
    appendOpenTsdb(bytes, opts = {}) {
      const c = collect();
      const now = opts.now ?? Math.floor(Date.now() / 1000);
      const input = withFinalLf(bytes, opts.final ?? false);
      const consumed = parseTsdbBlock(input, now, {
        point: c.point,
        reject: (reason) => sink.reject(reason),
      }, opts.maxLineLen);
      c.flush();
      return Math.min(consumed, bytes.length);
    },
    appendRemoteWrite(body, opts) {
      let raw = body;
      if (opts.snappy) {
        if (snappyDecodedLength(body) > opts.maxDecoded) {
          throw new RangeError(
            `Cannot decode: the body decodes to more than ${opts.maxDecoded} bytes`,
          );
        }
        raw = snappyDecode(body, opts.maxDecoded);
      } else if (body.length > opts.maxDecoded) {
        throw new RangeError(`Cannot decode: the body is more than ${opts.maxDecoded} bytes`);
      }
      const series = decodeWriteRequest(raw);
      const c = collect();
      const skips = { stale: 0, nan: 0, histograms: 0, unnamed: 0 };
      seriesPoints(series, {
        point: (name, timestamp, value) => c.point({ name, timestamp, value }),
        reject: (reason, n) => sink.reject(reason, n),
        skipped: (what) => what === "histogram" ? skips.histograms++ : skips[what]++,
        unnamed: () => skips.unnamed++,
      });
      c.flush();
      return skips;
    },
    appendExposition(body, _cache, opts) {
      // no scrape cache here: every series is named on every scrape
      const r = parseExposition(body, opts.format);
      const counts = {
        samples: r.samples.length,
        postRelabel: 0,
        seriesAdded: 0,
        nan: 0,
        outOfOrder: 0,
        cacheHits: 0,
        error: r.error,
        limitExceeded: false,
      };
      const c = collect();
      const badTimestamps: number[] = [];
      for (let i = 0; i < r.samples.length; i++) {
        const s = r.samples[i];
        let name: string | null;
        try {
          name = opts.name(s);
        } catch (err) {
          counts.error = (err as Error).message;
          counts.samples = i;
          break;
        }
        if (name === null) continue;
        counts.postRelabel++;
        if (Number.isNaN(s.value)) {
          counts.nan++;
          continue;
        }
        const timestamp = s.timestampMs !== null && opts.honorTimestamps
          ? Math.floor(s.timestampMs / 1000)
          : opts.timestamp;
        if (timestamp < 0 || timestamp > 0xffff_ffff) badTimestamps.push(i);
        else c.point({ name, timestamp, value: s.value });
      }
      counts.limitExceeded = opts.sampleLimit > 0 && counts.postRelabel > opts.sampleLimit;
      if (counts.error === null && !counts.limitExceeded) {
        if (badTimestamps.length > 0) sink.reject("bad_timestamp", badTimestamps.length);
        c.flush();
      }
      return counts;
    },
  };
}

/** `bytes` with a `\n` after an unterminated last line when the chunk ends the input. */
function withFinalLf(bytes: Uint8Array, final: boolean): Uint8Array {
  if (!final || bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = 0x0a;
  return out;
}
