// Graphite's whisper.py as a test oracle: one /usr/bin/python3 process per test case, driven by
// JSON lines on stdin/stdout. Floats cross as the hex of their 8 big-endian bytes, so values
// (NaN, -0, infinities included) are compared bit for bit. Where whisper.py is not installed,
// the oracle answers from a recording of it (tests/_util/whisper_recording.ts).

import { PYTHON } from "./requires.ts";

const SCRIPT = `
import json, shutil, struct, sys
import whisper

def enc(v):
    return None if v is None else struct.pack('>d', v).hex()

def dec(h):
    return struct.unpack('>d', bytes.fromhex(h))[0]

def run(req):
    op = req['op']
    if op == 'create':
        whisper.create(req['path'], [tuple(a) for a in req['archives']], req.get('xFilesFactor'),
                       req.get('aggregationMethod'), req.get('sparse', False))
        return None
    if op == 'update_many':
        whisper.update_many(req['path'], [(t, dec(v)) for t, v in req['points']], now=req['now'])
        return None
    if op == 'fetch':
        r = whisper.fetch(req['path'], req['from'], req.get('until'), now=req['now'],
                          archiveToSelect=req.get('archive'))
        if r is None:
            return None
        (start, end, step), values = r
        return {'fromTime': start, 'untilTime': end, 'step': step, 'values': [enc(v) for v in values]}
    if op == 'info':
        i = whisper.info(req['path'])
        if i is not None:
            i['xFilesFactor'] = enc(i['xFilesFactor'])
        return i
    if op == 'set_order':
        return list(set(req['values']))
    if op == 'validate':
        whisper.validateArchiveList([tuple(a) for a in req['archives']])
        return None
    if op == 'parse_retention':
        return list(whisper.parseRetentionDef(req['definition']))
    if op == 'copy':
        shutil.copyfile(req['path'], req['to'])
        return None
    raise ValueError('unknown op %s' % op)

for line in sys.stdin:
    req = json.loads(line)
    try:
        resp = {'ok': run(req)}
    except Exception as e:
        resp = {'error': type(e).__name__, 'message': str(e)}
    sys.stdout.write(json.dumps(resp) + '\\n')
    sys.stdout.flush()
`;

/** Encodes a double as the hex of its 8 big-endian bytes. */
export function f64ToHex(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  let hex = "";
  for (let i = 0; i < 8; i++) hex += view.getUint8(i).toString(16).padStart(2, "0");
  return hex;
}

/** Decodes the hex of 8 big-endian bytes into a double. */
export function hexToF64(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 8; i++) view.setUint8(i, parseInt(hex.slice(i * 2, i * 2 + 2), 16));
  return view.getFloat64(0);
}

/** An error whisper.py raised, with its Python class name. */
export class OracleError extends Error {
  /** Python exception class, e.g. "InvalidConfiguration". */
  readonly type: string;

  constructor(type: string, message: string) {
    super(`${type}: ${message}`);
    this.name = "OracleError";
    this.type = type;
  }
}

/** whisper.fetch's result with values as hex (null where None), for bitwise comparison. */
export interface OracleFetch {
  fromTime: number;
  untilTime: number;
  step: number;
  values: (string | null)[];
}

/** One answer of whisper.py: its result, or the exception it raised. */
export type OracleAnswer = { ok: unknown } | { error: string; message: string };

/** Where an oracle's answers come from: whisper.py itself or a recording of it. */
export interface OracleBackend {
  request(request: Record<string, unknown>): Promise<OracleAnswer>;
  close(): Promise<void>;
}

/** A running whisper.py process; its death is reported with what python printed. */
export class PythonWhisper implements OracleBackend {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #stderr: Promise<string>;
  #buffered = "";
  #encoder = new TextEncoder();
  #decoder = new TextDecoder();

  /** `env` is added to python's environment (a test points PYTHONPATH at a broken whisper). */
  constructor(env: Record<string, string> = {}) {
    this.#child = new Deno.Command(PYTHON, {
      args: ["-c", SCRIPT],
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#reader = this.#child.stdout.getReader();
    this.#stderr = new Response(this.#child.stderr).text();
  }

  /** The error to throw once python has gone: its exit code and stderr (an ImportError...). */
  async #died(): Promise<Error> {
    for (;;) if ((await this.#reader.read()).done) break;
    const { code } = await this.#child.status;
    const stderr = (await this.#stderr).trim();
    return new Error(`whisper.py (${PYTHON}) exited with code ${code}: ${stderr}`);
  }

  async request(request: Record<string, unknown>): Promise<OracleAnswer> {
    try {
      await this.#writer.write(this.#encoder.encode(JSON.stringify(request) + "\n"));
    } catch {
      throw await this.#died();
    }
    let newline = this.#buffered.indexOf("\n");
    while (newline < 0) {
      const { value, done } = await this.#reader.read();
      if (done) throw await this.#died();
      this.#buffered += this.#decoder.decode(value, { stream: true });
      newline = this.#buffered.indexOf("\n");
    }
    const line = this.#buffered.slice(0, newline);
    this.#buffered = this.#buffered.slice(newline + 1);
    return JSON.parse(line);
  }

  /** Ends the process and waits for it. */
  async close(): Promise<void> {
    try {
      await this.#writer.close();
    } catch {
      throw await this.#died();
    }
    for (;;) if ((await this.#reader.read()).done) break;
    const stderr = await this.#stderr;
    const status = await this.#child.status;
    if (!status.success) throw new Error(`whisper.py failed: ${stderr}`);
  }
}

/** whisper.py's API over a backend. Always `await close()` it (the test sanitizers check). */
export class WhisperOracle {
  #backend: OracleBackend;

  constructor(backend: OracleBackend = new PythonWhisper()) {
    this.#backend = backend;
  }

  /** Sends one request and returns whisper.py's answer; throws {@linkcode OracleError} on its errors. */
  async call<T>(request: Record<string, unknown>): Promise<T> {
    const response = await this.#backend.request(request);
    if ("error" in response) throw new OracleError(response.error, response.message);
    return response.ok as T;
  }

  /** whisper.create(path, archives, xFilesFactor, aggregationMethod, sparse). */
  create(
    path: string,
    archives: readonly { secondsPerPoint: number; points: number }[],
    options: { xFilesFactor?: number; aggregationMethod?: string; sparse?: boolean } = {},
  ): Promise<void> {
    return this.call({
      op: "create",
      path,
      archives: archives.map((a) => [a.secondsPerPoint, a.points]),
      ...options,
    });
  }

  /** whisper.update_many(path, points, now=now). */
  updateMany(path: string, points: readonly (readonly [number, number])[], now: number) {
    return this.call<void>({
      op: "update_many",
      path,
      points: points.map(([t, v]) => [t, f64ToHex(v)]),
      now,
    });
  }

  /** whisper.fetch(path, from, until, now=now, archiveToSelect=archive), values as hex. */
  fetch(path: string, from: number, until: number | undefined, now: number, archive?: number) {
    return this.call<OracleFetch | null>({ op: "fetch", path, from, until, now, archive });
  }

  /** whisper.info(path), with xFilesFactor decoded. */
  async info(path: string): Promise<Record<string, unknown> | null> {
    const result = await this.call<Record<string, unknown> | null>({ op: "info", path });
    return result && { ...result, xFilesFactor: hexToF64(result.xFilesFactor as string) };
  }

  /** list(set(values)) in CPython's iteration order. */
  setOrder(values: readonly number[]): Promise<number[]> {
    return this.call({ op: "set_order", values });
  }

  /** whisper.validateArchiveList; resolves to null or the error message. */
  async validate(archives: readonly [number, number][]): Promise<string | null> {
    try {
      await this.call({ op: "validate", archives });
      return null;
    } catch (error) {
      if (error instanceof OracleError) return error.message;
      throw error;
    }
  }

  /** whisper.parseRetentionDef; resolves to [secondsPerPoint, points] or the error message. */
  async parseRetentionDef(definition: string): Promise<[number, number] | string> {
    try {
      return await this.call<[number, number]>({ op: "parse_retention", definition });
    } catch (error) {
      if (error instanceof OracleError) return error.message;
      throw error;
    }
  }

  /** Copies a file (to snapshot whisper.py's output between steps). */
  copy(path: string, to: string): Promise<void> {
    return this.call({ op: "copy", path, to });
  }

  /** Ends the backend (the python process, or checks the recording was used up). */
  close(): Promise<void> {
    return this.#backend.close();
  }
}
