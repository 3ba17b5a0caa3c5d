// whisper.py's answers recorded once (whisper 1.1.4, Debian's python3-whisper) and replayed where
// it is not installed, so the compatibility tests compare against it on any machine.
//
// A recording is one gzipped JSON file per test in tests/fixtures/whisper/: each request the test
// made (its temp dir written `$DIR`), whisper.py's answer, the hash of the file the request read
// and the bytes whisper.py changed in the file it wrote. Replaying checks that the test asks the
// same questions of the same file contents, so an answer is only reused for the exact input
// whisper.py saw; it writes whisper.py's bytes where whisper.py would have. Where whisper.py is
// installed the test runs against it and each answer is also checked against the recording.
// `deno run -A tests/fixtures/whisper/make_fixtures.ts` records them again.

import { missing, skipUnless } from "./requires.ts";
import {
  type OracleAnswer,
  type OracleBackend,
  PythonWhisper,
  WhisperOracle,
} from "./whisper_oracle.ts";

/** Where the recordings live. */
export const RECORDINGS_DIR = new URL("../fixtures/whisper/", import.meta.url);

/** Set to 1 to write the recordings (the tests then run against whisper.py and record it). */
export const RECORD_ENV = "WHISPER_RECORD";

/** Operations that read the file at `path`, and those that write it. */
const READS = new Set(["update_many", "fetch", "info", "copy"]);
const WRITES = new Set(["create", "update_many"]);

/** Bytes whisper.py changed: [offset, hex] runs over the previous contents (zeros if none). */
interface FileChange {
  size: number;
  runs: [number, string][];
  hash: string;
}

/** One request of a test and what whisper.py did with it. */
interface Exchange {
  request: Record<string, unknown>;
  answer: OracleAnswer;
  /** Hash of the file the request read (null: there was none). */
  read?: string | null;
  written?: FileChange;
}

/** The recording's file name for a test. */
function recordingUrl(name: string): URL {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "").slice(0, 90);
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return new URL(`${slug}_${(h >>> 0).toString(16).padStart(8, "0")}.json.gz`, RECORDINGS_DIR);
}

async function hash(bytes: Uint8Array<ArrayBuffer> | null): Promise<string | null> {
  if (bytes === null) return null;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function readOrNull(path: string): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The runs of `after` that differ from `before` (runs less than 16 bytes apart are merged). */
async function diff(
  before: Uint8Array | null,
  after: Uint8Array<ArrayBuffer>,
): Promise<FileChange> {
  const base = before?.length === after.length ? before : new Uint8Array(after.length);
  const runs: [number, string][] = [];
  let i = 0;
  while (i < after.length) {
    if (after[i] === base[i]) {
      i++;
      continue;
    }
    let end = i + 1;
    for (let same = 0; end < after.length && same < 16; end++) {
      same = after[end] === base[end] ? same + 1 : 0;
    }
    while (end > i && after[end - 1] === base[end - 1]) end--;
    runs.push([i, toHex(after.subarray(i, end))]);
    i = end;
  }
  return { size: after.length, runs, hash: (await hash(after))! };
}

function apply(before: Uint8Array<ArrayBuffer> | null, change: FileChange): Uint8Array {
  const out = before?.length === change.size ? before : new Uint8Array(change.size);
  for (const [offset, hex] of change.runs) out.set(fromHex(hex), offset);
  return out;
}

async function load(url: URL): Promise<Exchange[]> {
  const stream = (await Deno.open(url)).readable.pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

async function save(url: URL, exchanges: Exchange[]): Promise<void> {
  const json = new Blob([JSON.stringify(exchanges)]).stream();
  const gz = json.pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(url, gz);
}

/** Replaces the test's temp dir in a request's paths with `$DIR` (and back). */
function relocate(request: Record<string, unknown>, from: string, to: string) {
  const out = { ...request };
  for (const key of ["path", "to"]) {
    const value = out[key];
    if (typeof value === "string" && value.startsWith(from)) {
      out[key] = to + value.slice(from.length);
    }
  }
  return out;
}

/** whisper.py, recorded (or checked against the recording) as it answers. */
class RecordingBackend implements OracleBackend {
  #live = new PythonWhisper();
  #exchanges: Exchange[] = [];
  #expected: Exchange[] | null;
  #dir: string;
  #url: URL;

  constructor(dir: string, url: URL, expected: Exchange[] | null) {
    this.#dir = dir;
    this.#url = url;
    this.#expected = expected;
  }

  async request(request: Record<string, unknown>): Promise<OracleAnswer> {
    const op = request.op as string;
    const path = request.path as string;
    const before = READS.has(op) || WRITES.has(op) ? await readOrNull(path) : null;
    const answer = await this.#live.request(request);
    const exchange: Exchange = {
      request: relocate(request, this.#dir, "$DIR"),
      answer: structuredClone(answer),
    };
    if (READS.has(op)) exchange.read = await hash(before);
    if (WRITES.has(op) && "ok" in answer) {
      exchange.written = await diff(before, await Deno.readFile(path));
    }
    if (this.#expected !== null) {
      const n = this.#exchanges.length;
      const expected = this.#expected[n];
      if (JSON.stringify(exchange) !== JSON.stringify(expected)) {
        throw new Error(
          `whisper.py's answer to request ${n} (${op}) differs from its recording ` +
            `${this.#url.pathname}: a whisper.py other than 1.1.4, or a changed test ` +
            `(record again: deno run -A tests/fixtures/whisper/make_fixtures.ts)`,
        );
      }
    }
    this.#exchanges.push(exchange);
    return answer;
  }

  /** Set when the test failed: nothing is saved. */
  discard = false;

  async close(): Promise<void> {
    await this.#live.close();
    if (this.discard) return;
    if (this.#expected === null) await save(this.#url, this.#exchanges);
    else if (this.#expected.length !== this.#exchanges.length) {
      throw new Error(`the test made fewer requests than its recording ${this.#url.pathname}`);
    }
  }
}

/** whisper.py's recorded answers, for the exact requests and file contents it saw. */
class ReplayBackend implements OracleBackend {
  #exchanges: Exchange[];
  #next = 0;
  #dir: string;
  #url: URL;

  constructor(dir: string, url: URL, exchanges: Exchange[]) {
    this.#dir = dir;
    this.#url = url;
    this.#exchanges = exchanges;
  }

  async request(request: Record<string, unknown>): Promise<OracleAnswer> {
    const n = this.#next++;
    const exchange = this.#exchanges[n];
    const asked = JSON.stringify(relocate(request, this.#dir, "$DIR"));
    if (exchange === undefined || asked !== JSON.stringify(exchange.request)) {
      throw new Error(
        `request ${n} is not the one recorded in ${this.#url.pathname}: ${asked.slice(0, 200)} ` +
          `(record again with whisper.py: deno run -A tests/fixtures/whisper/make_fixtures.ts)`,
      );
    }
    const op = request.op as string;
    const path = request.path as string;
    const before = exchange.read !== undefined || exchange.written ? await readOrNull(path) : null;
    if (exchange.read !== undefined && await hash(before) !== exchange.read) {
      throw new Error(
        `request ${n} (${op}) reads ${path}, whose bytes differ from the file whisper.py read ` +
          `when ${this.#url.pathname} was recorded`,
      );
    }
    if (exchange.written) await Deno.writeFile(path, apply(before, exchange.written));
    if (op === "copy" && "ok" in exchange.answer) await Deno.copyFile(path, request.to as string);
    return exchange.answer;
  }

  close(): Promise<void> {
    if (this.#next !== this.#exchanges.length) {
      return Promise.reject(
        new Error(`the test made fewer requests than its recording ${this.#url.pathname}`),
      );
    }
    return Promise.resolve();
  }
}

/**
 * Registers a test comparing carbonado with whisper.py: `fn` gets the oracle and a temp dir
 * (removed afterwards) for every file it makes. Runs against whisper.py where it is installed
 * (checking each answer against the recording, or writing the recording with RECORD_ENV=1),
 * against the recording elsewhere; skipped where neither is there.
 */
export function oracleTest(
  name: string,
  fn: (oracle: WhisperOracle, dir: string) => Promise<void>,
): void {
  const url = recordingUrl(name);
  const record = Deno.env.get(RECORD_ENV) === "1";
  const live = missing("whisper");
  const recorded = (() => {
    try {
      return Deno.statSync(url).isFile;
    } catch {
      return false;
    }
  })();
  const reason = live === null || (recorded && !record)
    ? null
    : `${live}; no recording of whisper.py at tests/fixtures/whisper/${
      url.pathname.split("/").at(-1)
    }`;
  Deno.test(skipUnless(reason, {
    name,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "carbonado_whisper_" });
      let backend: OracleBackend;
      if (live !== null) backend = new ReplayBackend(dir, url, await load(url));
      else if (record) backend = new RecordingBackend(dir, url, null);
      else if (recorded) backend = new RecordingBackend(dir, url, await load(url));
      else backend = new PythonWhisper();
      const oracle = new WhisperOracle(backend);
      let passed = false;
      try {
        await fn(oracle, dir);
        passed = true;
      } finally {
        // After a failure, the test's own error is the one to see.
        if (backend instanceof RecordingBackend) backend.discard = !passed;
        await oracle.close().catch((error) => {
          if (passed) throw error;
        });
        await Deno.remove(dir, { recursive: true });
      }
    },
  }));
}
