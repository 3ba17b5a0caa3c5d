// What a remote_write sender keeps on disk, in `<wal.dir>/remote-write/<name>/` (byte diagrams
// in docs/remote_write.md):
//
// - `position.json`: the acknowledged WAL position (everything before it was accepted by the
//   remote, or refused for good) and the blocks cut after it, each with its exact WAL range,
//   shard count, request size and the requests already answered. Rewritten, never edited:
//   tmp file, fsync, rename, fsync of the directory. A block is in it before any of its
//   requests is sent, so a restart rebuilds in-flight requests byte for byte.
// - `snapshot`: the series table (ref, Graphite name, newest timestamp sent) as of a WAL
//   position at or before the acknowledged one, written the same way. A restart loads it and
//   reads the log from there to the acknowledged position without sending, which brings the
//   table to exactly the state the in-flight requests were built with.

import { joinPath } from "../storage/path.ts";
import { syncDirAsync } from "../wal/segments.ts";
import type { WalPosition } from "./position.ts";

/** A block as position.json records it. */
export interface BlockRecord {
  from: WalPosition;
  to: WalPosition;
  shards: number;
  maxSamplesPerSend: number;
  /** Indexes of the block's requests already answered (shard by shard, chunk by chunk). */
  done: number[];
}

/** The content of position.json. */
export interface PositionState {
  acked: WalPosition;
  blocks: BlockRecord[];
}

/** One row of the snapshot's series table. */
export interface SnapshotSeries {
  ref: number;
  /** The Graphite name as the WAL holds it (UTF-8). */
  name: Uint8Array;
  /** Newest timestamp (ms) sent for the series it maps to; -Infinity for none. */
  newest: number;
}

/** The snapshot: the series table as of `position`. */
export interface Snapshot {
  position: WalPosition;
  series: SnapshotSeries[];
}

const POSITION_FILE = "position.json";
const SNAPSHOT_FILE = "snapshot";
const POSITION_VERSION = 1;
const SNAPSHOT_MAGIC = 0x53575243; // "CRWS" read as a little-endian u32
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_HEADER = 24;
const FLAG_CHECKPOINT = 1;

const utf8 = new TextEncoder();

/** The sender's files for one remote. `crc` is CRC-32C (the WAL's checksum, from src/wasm/). */
export class StateStore {
  readonly dir: string;
  #crc: (bytes: Uint8Array) => number;

  constructor(dir: string, crc: (bytes: Uint8Array) => number) {
    this.dir = dir;
    this.#crc = crc;
  }

  /** Creates the directory and removes temporary files a crash left behind. */
  open(): void {
    Deno.mkdirSync(this.dir, { recursive: true });
    for (const e of Deno.readDirSync(this.dir)) {
      if (e.name.endsWith(".tmp")) Deno.removeSync(joinPath(this.dir, e.name));
    }
  }

  /**
   * position.json, or null when there is none.
   *
   * @throws {SyntaxError} naming the file when it cannot be read as this version wrote it
   */
  readPosition(): PositionState | null {
    const path = joinPath(this.dir, POSITION_FILE);
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
    let doc: { version?: unknown } & Partial<PositionState>;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new SyntaxError(`Cannot read ${path}: ${(err as Error).message}`);
    }
    if (doc.version !== POSITION_VERSION || !isPosition(doc.acked) || !Array.isArray(doc.blocks)) {
      throw new SyntaxError(`Cannot read ${path}: not a version ${POSITION_VERSION} position file`);
    }
    return { acked: doc.acked, blocks: doc.blocks };
  }

  /** Replaces position.json durably (tmp, fsync, rename, fsync of the directory). */
  async writePosition(state: PositionState): Promise<void> {
    const text = JSON.stringify({ version: POSITION_VERSION, ...state });
    await this.#replace(POSITION_FILE, utf8.encode(text + "\n"));
  }

  /**
   * The snapshot, or null when there is none.
   *
   * @throws {SyntaxError} naming the file when its checksum or layout is wrong
   */
  readSnapshot(): Snapshot | null {
    const path = joinPath(this.dir, SNAPSHOT_FILE);
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
    const bad = (why: string) => new SyntaxError(`Cannot read ${path}: ${why}`);
    if (bytes.length < SNAPSHOT_HEADER + 4) throw bad("too short");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const body = bytes.length - 4;
    if (view.getUint32(body, true) !== this.#crc(bytes.subarray(0, body))) {
      throw bad("checksum mismatch");
    }
    if (view.getUint32(0, true) !== SNAPSHOT_MAGIC || bytes[4] !== SNAPSHOT_VERSION) {
      throw bad(`not a version ${SNAPSHOT_VERSION} snapshot`);
    }
    const position: WalPosition = {
      segment: view.getUint32(8, true),
      offset: readU64(view, 12),
      checkpoint: (bytes[5] & FLAG_CHECKPOINT) !== 0,
    };
    const count = view.getUint32(20, true);
    const series: SnapshotSeries[] = [];
    let p = SNAPSHOT_HEADER;
    for (let i = 0; i < count; i++) {
      if (p + 20 > body) throw bad("series table cut short");
      const ref = readU64(view, p);
      const newest = view.getFloat64(p + 8, true);
      const len = view.getUint32(p + 16, true);
      p += 20;
      if (p + len > body) throw bad("series table cut short");
      series.push({ ref, newest, name: bytes.subarray(p, p + len) });
      p += len;
    }
    if (p !== body) throw bad("trailing bytes");
    return { position, series };
  }

  /** Replaces the snapshot durably, from bytes made by {@linkcode encodeSnapshot}. */
  async writeSnapshot(bytes: Uint8Array): Promise<void> {
    await this.#replace(SNAPSHOT_FILE, bytes);
  }

  /** The snapshot's bytes, checksum included: made when a block is cut, written once acked. */
  encodeSnapshot(snapshot: Snapshot): Uint8Array {
    let size = SNAPSHOT_HEADER + 4;
    for (const s of snapshot.series) size += 20 + s.name.length;
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, SNAPSHOT_MAGIC, true);
    bytes[4] = SNAPSHOT_VERSION;
    bytes[5] = snapshot.position.checkpoint ? FLAG_CHECKPOINT : 0;
    view.setUint32(8, snapshot.position.segment, true);
    writeU64(view, 12, snapshot.position.offset);
    view.setUint32(20, snapshot.series.length, true);
    let p = SNAPSHOT_HEADER;
    for (const s of snapshot.series) {
      writeU64(view, p, s.ref);
      view.setFloat64(p + 8, s.newest, true);
      view.setUint32(p + 16, s.name.length, true);
      bytes.set(s.name, p + 20);
      p += 20 + s.name.length;
    }
    view.setUint32(p, this.#crc(bytes.subarray(0, p)), true);
    return bytes;
  }

  async #replace(name: string, bytes: Uint8Array): Promise<void> {
    const path = joinPath(this.dir, name);
    const tmp = `${path}.tmp`;
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let done = 0;
      while (done < bytes.length) done += await file.write(bytes.subarray(done));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
    await syncDirAsync(this.dir);
  }
}

function isPosition(p: unknown): p is WalPosition {
  const x = p as WalPosition;
  return typeof x === "object" && x !== null && Number.isSafeInteger(x.segment) &&
    Number.isSafeInteger(x.offset) && typeof x.checkpoint === "boolean";
}

function readU64(view: DataView, p: number): number {
  return view.getUint32(p, true) + view.getUint32(p + 4, true) * 0x1_0000_0000;
}

function writeU64(view: DataView, p: number, v: number): void {
  view.setUint32(p, v % 0x1_0000_0000, true);
  view.setUint32(p + 4, Math.floor(v / 0x1_0000_0000), true);
}
