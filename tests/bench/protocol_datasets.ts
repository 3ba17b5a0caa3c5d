// Deterministic payloads of the other protocols for the parser and end-to-end benchmarks:
// Telegraf-shaped Influx lines, OpenTSDB telnet lines, and a stream of remote_write requests
// shaped as Prometheus sends them.

import type { Dataset } from "./plaintext_datasets.ts";
import { encodeWriteRequest, snappyCompress } from "../_util/remote_write_encode.ts";

const enc = new TextEncoder();

/** Joins text built in pieces into one buffer. */
function build(lines: (emit: (line: string) => void) => void): Uint8Array {
  const parts: Uint8Array[] = [];
  let text = "";
  lines((line) => {
    text += line;
    if (text.length > 1 << 20) {
      parts.push(enc.encode(text));
      text = "";
    }
  });
  parts.push(enc.encode(text));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  return bytes;
}

/** The value of point `i` of series `s`: 12.345-style, at most 5 significant digits. */
const value = (s: number, i: number) => ((s * 7919 + i * 104729) % 100_000) / 1000;

/**
 * Telegraf's `cpu` input as it writes it: `cpu,cpu=cpu3,host=host-0042 usage_user=12.345,...`
 * with 10 fields and nanosecond timestamps, `hosts` × 4 CPUs per interval, `intervals` times
 * (lines = hosts × 4 × intervals; points = 10 × lines). `lines` in the Dataset counts points.
 */
export function influxDataset(hosts: number, intervals: number, label: string): Dataset {
  const fields = [
    "usage_user",
    "usage_system",
    "usage_idle",
    "usage_nice",
    "usage_iowait",
    "usage_irq",
    "usage_softirq",
    "usage_steal",
    "usage_guest",
    "usage_guest_nice",
  ];
  const bytes = build((emit) => {
    for (let i = 0; i < intervals; i++) {
      const ts = `${1_700_000_000 + i * 10}000000000`;
      for (let h = 0; h < hosts; h++) {
        const host = `host-${String(h).padStart(4, "0")}`;
        for (let c = 0; c < 4; c++) {
          const s = h * 4 + c;
          const set = fields.map((f, k) => `${f}=${value(s * 10 + k, i)}`).join(",");
          emit(`cpu,cpu=cpu${c},host=${host} ${set} ${ts}\n`);
        }
      }
    }
  });
  return { label, lines: hosts * 4 * intervals * fields.length, bytes };
}

/** OpenTSDB telnet lines: `put sys.cpu.user 1700000000 12.345 host=host-0042 cpu=3`. */
export function openTsdbDataset(series: number, points: number, label: string): Dataset {
  const bytes = build((emit) => {
    for (let p = 0; p < points; p++) {
      for (let s = 0; s < series; s++) {
        const host = `host-${String(s >> 2).padStart(4, "0")}`;
        emit(
          `put sys.cpu.user ${1_700_000_000 + p * 10} ${value(s, p)} host=${host} cpu=${s & 3}\n`,
        );
      }
    }
  });
  return { label, lines: series * points, bytes };
}

/** A stream of snappy-compressed remote_write requests, and what it holds. */
export interface RemoteWriteStream {
  label: string;
  requests: Uint8Array<ArrayBuffer>[];
  samples: number;
  bytes: number;
}

/**
 * Requests as a Prometheus scraping node exporters sends them: series of 4-6 labels
 * (`__name__`, instance, job, and one or two more), one sample per series per request,
 * `perRequest` samples a request (2.42 sends 500, later versions 2000), `series` series,
 * `rounds` scrapes of all of them.
 */
export function remoteWriteStream(
  series: number,
  rounds: number,
  perRequest: number,
  label: string,
): RemoteWriteStream {
  const names = ["node_cpu_seconds_total", "node_network_receive_bytes_total", "node_load1"];
  const labels = Array.from({ length: series }, (_, s) => {
    const l: [string, string][] = [
      ["__name__", names[s % 3]],
      ["instance", `host-${String(s >> 6).padStart(4, "0")}:9100`],
      ["job", "node"],
    ];
    if (s % 3 === 0) l.push(["cpu", `${(s >> 2) & 15}`], ["mode", ["user", "system"][s & 1]]);
    if (s % 3 === 1) l.push(["device", `eth${s & 3}`]);
    return l.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  });
  const requests: Uint8Array<ArrayBuffer>[] = [];
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    const ms = (1_700_000_000 + r * 15) * 1000;
    for (let start = 0; start < series; start += perRequest) {
      const batch = labels.slice(start, start + perRequest).map((l, k) => ({
        labels: l,
        samples: [{ value: value(start + k, r), timestamp: ms }],
      }));
      const request = snappyCompress(encodeWriteRequest(batch));
      requests.push(request);
      bytes += request.length;
    }
  }
  return { label, requests, samples: series * rounds, bytes };
}
