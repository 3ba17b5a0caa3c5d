// Replay at start, before any receiver opens: the last checkpoint, then every segment after it,
// read in chunks of pages and applied to the cache in wasm. A torn last record (a crash in the
// middle of a write) is cut off and logged, as Prometheus' Repair does; damage in the middle of
// a segment is logged with segment and offset, counted, and reading resumes at the next page
// that starts a record. A damaged file is copied to `corrupt/` before it is cut: bad bytes are
// set aside, never silently deleted, and the daemon always starts.

import { baseName, joinPath } from "../storage/path.ts";
import { Logger } from "../log/logger.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { WalCodec } from "../wasm/wal_codec.ts";
import { lastCheckpoint, listSegments, readSegment, type SegmentFile } from "./segments.ts";

const log = new Logger("wal");

/** How often replay logs its progress. */
const PROGRESS_MS = 5000;

/** What a replay found and did. */
export interface ReplayResult {
  points: number;
  series: number;
  segments: number;
  bytes: number;
  seconds: number;
  /** Damaged fragments found in the middle of segments. */
  corruptions: number;
  /** Torn last records cut off. */
  tornTails: number;
  unknownRefs: number;
  /** Points that did not fit in the cache. */
  dropped: number;
}

/** Replays the log in `dir` into the cache; reports on /metrics. */
export class Replay implements StatSource {
  #dir: string;
  #codec: WalCodec;
  result: ReplayResult = {
    points: 0,
    series: 0,
    segments: 0,
    bytes: 0,
    seconds: 0,
    corruptions: 0,
    tornTails: 0,
    unknownRefs: 0,
    dropped: 0,
  };

  constructor(dir: string, codec: WalCodec) {
    this.#dir = dir;
    this.#codec = codec;
  }

  /** Reads the last checkpoint and the segments after it into the cache. */
  run(now = () => performance.now()): ReplayResult {
    const t0 = now();
    const cp = lastCheckpoint(this.#dir);
    const files: { file: SegmentFile; label: string }[] = [];
    if (cp) {
      for (const file of listSegments(cp.path)) {
        files.push({ file, label: `${baseName(cp.path)}/${baseName(file.path)}` });
      }
    }
    for (const file of listSegments(this.#dir)) {
      if (!cp || file.index > cp.index) files.push({ file, label: baseName(file.path) });
    }
    const total = files.reduce((sum, f) => sum + f.file.size, 0);
    if (files.length === 0) return this.result;
    log.info("replaying WAL", {
      checkpoint: cp ? baseName(cp.path) : null,
      segments: files.length,
      bytes: total,
    });
    const codec = this.#codec;
    codec.replayBegin();
    let lastLog = t0;
    let done = 0;
    try {
      for (const { file, label } of files) {
        codec.segmentBegin();
        readSegment(file.path, {
          fill: (size) => codec.chunkBuffer(size),
          take: (len, at) => {
            codec.replayChunk(len, at);
            const t = now();
            if (t - lastLog >= PROGRESS_MS) {
              lastLog = t;
              const read = done + at + len;
              const rate = read / ((t - t0) / 1000);
              const points = codec.totals().points;
              log.info("replaying WAL", {
                segment: label,
                points,
                pointsPerSec: Math.round(points / ((t - t0) / 1000)),
                percent: Math.round((read / total) * 100),
                etaSeconds: Math.round((total - read) / rate),
              });
            }
          },
        });
        done += file.size;
        this.#repair(file, label);
        this.result.segments++;
      }
    } finally {
      const t = codec.totals();
      codec.replayFinish();
      this.result.points = t.points;
      this.result.series = t.series;
      this.result.unknownRefs = t.unknownRefs;
      this.result.dropped = t.dropped;
      this.result.bytes = total;
      this.result.seconds = (now() - t0) / 1000;
    }
    const r = this.result;
    log.info("WAL replayed", {
      points: r.points,
      series: r.series,
      segments: r.segments,
      seconds: Number(r.seconds.toFixed(3)),
      pointsPerSec: Math.round(r.points / Math.max(r.seconds, 1e-6)),
      corruptions: r.corruptions,
      tornTails: r.tornTails,
      unknownRefs: r.unknownRefs,
      dropped: r.dropped,
    });
    return r;
  }

  /** Sets aside and cuts what reading a segment found damaged. */
  #repair(file: SegmentFile, label: string): void {
    const scan = this.#codec.segmentScan();
    // damage before the last good record is in the middle; at or after it, the tail is torn
    const middle = scan.damage.filter((offset) => offset < scan.goodEnd);
    const tornTail = scan.torn || scan.damage.some((offset) => offset >= scan.goodEnd);
    const midCount = scan.damageCount - scan.damage.filter((o) => o >= scan.goodEnd).length;
    if (midCount === 0 && !tornTail) return;
    const aside = this.#setAside(file, label);
    if (midCount > 0) {
      this.result.corruptions += midCount;
      log.error("WAL segment damaged in the middle: skipped to the next record", {
        segment: label,
        offsets: middle,
        damaged: midCount,
        copiedTo: aside,
      });
    }
    if (tornTail && scan.goodEnd < file.size) {
      this.result.tornTails++;
      Deno.truncateSync(file.path, scan.goodEnd);
      log.warn("WAL segment ends in a torn record: cut off", {
        segment: label,
        offset: scan.goodEnd,
        bytesCut: file.size - scan.goodEnd,
        copiedTo: aside,
      });
    }
  }

  /** Copies a damaged file to `corrupt/` under the log directory; returns where. */
  #setAside(file: SegmentFile, label: string): string {
    const dir = joinPath(this.#dir, "corrupt");
    Deno.mkdirSync(dir, { recursive: true });
    const to = joinPath(dir, `${label.replaceAll("/", "-")}.${Date.now()}`);
    Deno.copyFileSync(file.path, to);
    return to;
  }

  stat(send: StatSend): void {
    const r = this.result;
    const counter = (name: string, help: string, value: number, carbon?: string) =>
      send({ name, help, type: "counter", value, carbon });
    counter(
      "carbonado_wal_replayed_points_total",
      "Points read back from the WAL at start.",
      r.points,
      "wal.replayedPoints",
    );
    counter(
      "carbonado_wal_replay_bytes_total",
      "Bytes of checkpoint and segments read at start.",
      r.bytes,
      "wal.replayBytes",
    );
    counter(
      "carbonado_wal_corruptions_total",
      "Damaged fragments found in the middle of WAL segments at replay.",
      r.corruptions,
      "wal.corruptions",
    );
    counter(
      "carbonado_wal_torn_tails_total",
      "Torn last records cut off at replay.",
      r.tornTails,
      "wal.tornTails",
    );
    counter(
      "carbonado_wal_replay_unknown_refs_total",
      "Samples at replay naming a series no record introduced.",
      r.unknownRefs,
      "wal.replayUnknownRefs",
    );
    counter(
      "carbonado_wal_replay_dropped_points_total",
      "Points at replay that did not fit in the cache.",
      r.dropped,
      "wal.replayDroppedPoints",
    );
    send({
      name: "carbonado_wal_replay_duration_seconds",
      help: "How long the replay at start took.",
      type: "gauge",
      value: r.seconds,
      carbon: "wal.replaySeconds",
    });
  }
}
