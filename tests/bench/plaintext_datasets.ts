// Deterministic Graphite plaintext payloads shared by the parser and end-to-end benchmarks.

/** A prebuilt payload. */
export interface Dataset {
  label: string;
  lines: number;
  bytes: Uint8Array;
}

/**
 * `metrics` distinct names × `points` points each, interleaved by timestamp as real traffic is
 * (every metric at `start`, then every metric at `start` + 60, ...). Lines look like
 * `sys.host-0042.cpu.cpu-7.user 12.345 1700000060` (~47 bytes); `tagged` names have the same
 * length, with their tags out of carbon's order: `sys.cpu.user;host=0042;cpu=7`.
 */
export function plaintextDataset(
  metrics: number,
  points: number,
  label: string,
  start = 1_700_000_000,
  tagged = false,
): Dataset {
  const enc = new TextEncoder();
  const names: string[] = [];
  for (let m = 0; m < metrics; m++) {
    const host = String(m % 10_000).padStart(4, "0");
    const cpu = Math.floor(m / 10_000);
    names.push(
      tagged ? `sys.cpu.user;host=${host};cpu=${cpu}` : `sys.host-${host}.cpu.cpu-${cpu}.user`,
    );
  }
  const parts: Uint8Array[] = [];
  let text = "";
  let size = 0;
  for (let p = 0; p < points; p++) {
    const ts = start + p * 60;
    for (let m = 0; m < metrics; m++) {
      const value = ((m * 7919 + p * 104729) % 100_000) / 1000;
      text += `${names[m]} ${value} ${ts}\n`;
      if (text.length > 1 << 20) {
        const chunk = enc.encode(text);
        parts.push(chunk);
        size += chunk.length;
        text = "";
      }
    }
  }
  const last = enc.encode(text);
  parts.push(last);
  size += last.length;
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const part of parts) {
    bytes.set(part, off);
    off += part.length;
  }
  return { label, lines: metrics * points, bytes };
}

/** The benchmark's name suffix the throughput reporter reads: `[lines=N bytes=M]`. */
export function sizeTag(d: Dataset): string {
  return `[lines=${d.lines} bytes=${d.bytes.length}]`;
}
