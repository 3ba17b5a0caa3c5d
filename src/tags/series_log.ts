// The names of the tagged series that have a file, kept beside the files. A tagged series'
// file is named by the sha256 of its name (`_tagged/<h[0:3]>/<h[3:6]>/<h>.wsp`), so the disk
// scan cannot tell which series a file holds: carbon leaves that to an external TagDB, and
// go-carbon cannot query tags at all (go-carbon#259). This append-only log is read at start to
// fill the tag index. Format (docs/tags_formats.md):
//
//   "carbonado tagged series v1\n"   header
//   "+" name "\n"                    the series' file was created (or migrated)
//   "-" name "\n"                    the series was deleted (/tags/delSeries)
//
// Names are canonical UTF-8 and never hold a control byte, so a line is a record; a last line
// without its "\n" was torn by a crash and is cut off. The log is rewritten without deleted or
// repeated names when they outnumber the live ones.

import { Logger } from "../log/logger.ts";

/** The log's file name inside `<data-dir>/_tagged/` (a dot-file: no reader lists it). */
export const SERIES_LOG_FILE = ".series.log";
const HEADER = "carbonado tagged series v1\n";
/** Longest record accepted when reading (a name is at most 4096 bytes). */
const MAX_RECORD_BYTES = 4098;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const log = new Logger("tags");

/** What load() found. */
export interface SeriesLogLoad {
  names: Set<string>;
  /** Records that were not `+name` or `-name`, and a torn last record. */
  skipped: number;
}

/** The append-only log of tagged series names. */
export class SeriesLog {
  readonly path: string;
  #file: Deno.FsFile | null = null;
  /** Opened on a missing log: the file is made at the first record. */
  #deferred = false;
  #records = 0;
  #live = 0;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * Reads the log (a missing one is empty), cuts off a torn last record, rewrites it when
   * deleted and repeated names outnumber the live ones, and opens it for appending.
   */
  open(): SeriesLogLoad {
    const names = new Set<string>();
    let skipped = 0;
    let records = 0;
    let text = "";
    try {
      text = decoder.decode(Deno.readFileSync(this.path));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    let body = text.startsWith(HEADER) ? text.slice(HEADER.length) : "";
    if (text !== "" && !text.startsWith(HEADER)) {
      log.warn("tagged series log has no header; starting it again", { path: this.path });
      skipped++;
    }
    const lastLf = body.lastIndexOf("\n");
    if (lastLf + 1 < body.length) {
      skipped++; // a torn last record
      body = body.slice(0, lastLf + 1);
    }
    for (const line of body.split("\n")) {
      if (line === "") continue;
      records++;
      const name = line.slice(1);
      if (line[0] === "+" && name !== "" && line.length <= MAX_RECORD_BYTES) names.add(name);
      else if (line[0] === "-") names.delete(name);
      else skipped++;
    }
    this.#live = names.size;
    this.#records = records;
    // a missing log is created at the first record: a start that fails leaves no file behind
    if (text === "") {
      this.#deferred = true;
      return { names, skipped };
    }
    if (skipped > 0 || records > 2 * names.size + 1000) this.#rewrite(names);
    this.#file = Deno.openSync(this.path, { append: true, create: true });
    return { names, skipped };
  }

  /** Records that a series' file exists. */
  added(name: string): void {
    this.#append(`+${name}\n`);
    this.#live++;
  }

  /** Records that a series was deleted. */
  deleted(name: string): void {
    this.#append(`-${name}\n`);
    this.#live--;
  }

  #append(record: string): void {
    if (this.#file === null && this.#deferred) {
      this.#rewrite(new Set());
      this.#file = Deno.openSync(this.path, { append: true, create: true });
      this.#deferred = false;
    }
    if (this.#file === null) throw new Error(`${this.path} is not open`);
    const bytes = encoder.encode(record);
    let off = 0;
    while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
    this.#records++;
  }

  /** Writes the live names to a new file and renames it over the log. */
  #rewrite(names: Set<string>): void {
    const dir = this.path.slice(0, this.path.lastIndexOf("/"));
    Deno.mkdirSync(dir, { recursive: true });
    const tmp = `${this.path}.tmp`;
    const parts = [HEADER];
    for (const name of names) parts.push(`+${name}\n`);
    Deno.writeFileSync(tmp, encoder.encode(parts.join("")));
    Deno.renameSync(tmp, this.path);
    this.#records = names.size;
  }

  /** Closes the file. */
  close(): void {
    this.#file?.close();
    this.#file = null;
    this.#deferred = false;
  }

  /** Records in the file and live names, for stats. */
  get counts(): { records: number; live: number } {
    return { records: this.#records, live: this.#live };
  }
}
