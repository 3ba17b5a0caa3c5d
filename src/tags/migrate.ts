// Moves series stored before tags were understood (`a/b;k=v.wsp`: the tagged name taken as a
// path, as go-carbon does with [tags] off and carbonado did before) to the file carbon gives
// them: the canonical name's `_tagged/<h[0:3]>/<h[3:6]>/<h>.wsp`. When that file exists
// already, the old file's points fill its gaps (whisper-fill: a point the target has is kept),
// archive by archive, finest first; then the old file is removed. `--migrate-tagged` runs it
// with the daemon stopped; the daemon only reports such files at start.

import { Logger } from "../log/logger.ts";
import { metricPath, TAGGED_DIR, WHISPER_EXT } from "../storage/metric_path.ts";
import { WhisperFile } from "../whisper/whisper_file.ts";
import { canonicalName } from "./tagged_name.ts";

const log = new Logger("migrate");

/** What a migration did. */
export interface MigrateResult {
  /** Files renamed to their tagged path. */
  moved: number;
  /** Files whose points were merged into an existing tagged file, then removed. */
  merged: number;
  /** Files that could not be moved (logged). */
  failed: number;
  /** Canonical names of the series moved or merged. */
  names: string[];
}

/** Every `*.wsp` under `dataDir` (outside `_tagged/`) whose path holds `;`, relative. */
export async function findLiteralTagged(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string, tagged: boolean) => {
    for await (const e of Deno.readDir(rel === "" ? dataDir : `${dataDir}/${rel}`)) {
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.name.startsWith(".") || (rel === "" && e.name === TAGGED_DIR)) continue;
      const inTag = tagged || e.name.includes(";");
      if (e.isDirectory) await walk(path, inTag);
      else if (e.isFile && inTag && e.name.endsWith(WHISPER_EXT)) out.push(path);
    }
  };
  try {
    await walk("", false);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort();
}

/** Copies the points `from` has and `to` lacks, archive by archive, finest first. */
export function fillGaps(from: string, to: string, now: number): number {
  const src = WhisperFile.open(from);
  const dst = WhisperFile.open(to, { write: true });
  let copied = 0;
  try {
    let until = now;
    for (const archive of dst.header.archives) {
      const start = now - archive.retention;
      if (start >= until) continue;
      const opts = { untilTime: until, now, secondsPerPoint: archive.secondsPerPoint };
      const have = dst.fetch(start, opts);
      const got = src.fetch(start, { untilTime: until, now });
      if (have === null || got === null) continue;
      const ts: number[] = [];
      const vs: number[] = [];
      for (let i = 0; i < got.values.length; i++) {
        const v = got.values[i];
        const t = got.fromTime + i * got.step;
        const slot = Math.floor((t - have.fromTime) / have.step);
        if (v === null || (slot >= 0 && slot < have.values.length && have.values[slot] !== null)) {
          continue;
        }
        ts.push(t);
        vs.push(v);
      }
      if (ts.length > 0) {
        dst.updateArrays(Uint32Array.from(ts), Float64Array.from(vs), { now });
        copied += ts.length;
      }
      until = start;
    }
  } finally {
    src.close();
    dst.close();
  }
  return copied;
}

/**
 * Moves every literal tagged file of `dataDir` to its canonical tagged path, merging into a
 * file that exists. Each step is logged.
 */
export async function migrateTagged(
  dataDir: string,
  opts: { hashFilenames?: boolean; now?: number } = {},
): Promise<MigrateResult> {
  const result: MigrateResult = { moved: 0, merged: 0, failed: 0, names: [] };
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  for (const rel of await findLiteralTagged(dataDir)) {
    const from = `${dataDir}/${rel}`;
    const name = canonicalName(rel.slice(0, -WHISPER_EXT.length).replaceAll("/", "."));
    try {
      const to = metricPath(dataDir, name, opts.hashFilenames ?? true);
      if (to === from) continue;
      let exists = true;
      try {
        Deno.statSync(to);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
        exists = false;
      }
      if (exists) {
        const points = fillGaps(from, to, now);
        Deno.removeSync(from);
        result.merged++;
        log.info("tagged file merged", { from, to, name, points });
      } else {
        Deno.mkdirSync(to.slice(0, to.lastIndexOf("/")), { recursive: true });
        Deno.renameSync(from, to);
        result.moved++;
        log.info("tagged file moved", { from, to, name });
      }
      result.names.push(name);
    } catch (err) {
      result.failed++;
      log.error("cannot migrate tagged file", { from, name, err });
    }
  }
  return result;
}
