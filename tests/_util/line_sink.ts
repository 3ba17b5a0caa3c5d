// Plaintext sinks for relay tests: a TCP listener that keeps every line it receives (in this
// process), and the same as a child process writing what it reads to a file, to be killed with
// SIGKILL (the kernel then resets connections holding unread bytes, as a crashed carbon daemon's
// would be).

import { waitFor } from "./net.ts";

const SINK_PROCESS = new URL("./sink_process.ts", import.meta.url).pathname;

/** Splits received text into lines, carrying a partial last line. */
class LineSplitter {
  #rest = "";
  #decoder = new TextDecoder();

  push(bytes: Uint8Array, out: string[]): void {
    const parts = (this.#rest + this.#decoder.decode(bytes, { stream: true })).split("\n");
    this.#rest = parts.pop()!;
    out.push(...parts);
  }
}

/** A listener on 127.0.0.1 keeping every line received, in arrival order. */
export class LineSink {
  readonly lines: string[] = [];
  #listener: Deno.TcpListener;
  #conns = new Set<Deno.TcpConn>();
  #tasks = new Set<Promise<void>>();
  #accepting: Promise<void>;
  #discarding = false;
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(listener: Deno.TcpListener) {
    this.#listener = listener;
    this.#accepting = this.#accept();
  }

  /** Listens on `port` (0: any free port). */
  static listen(port = 0): LineSink {
    return new LineSink(Deno.listen({ hostname: "127.0.0.1", port }));
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        this.accepted++;
        this.#conns.add(conn);
        const task = this.#read(conn).finally(() => {
          this.#conns.delete(conn);
          this.#tasks.delete(task);
        });
        this.#tasks.add(task);
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource)) throw err;
    }
  }

  async #read(conn: Deno.TcpConn): Promise<void> {
    const split = new LineSplitter();
    const buf = new Uint8Array(65536);
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        if (!this.#discarding) split.push(buf.subarray(0, n), this.lines);
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource) && !(err instanceof Deno.errors.Interrupted)) {
        throw err;
      }
    } finally {
      try {
        conn.close();
      } catch { /* closed by close() */ }
    }
  }

  /** Names of the lines received (the first field). */
  names(): Set<string> {
    return new Set(this.lines.map((l) => l.split(" ")[0]));
  }

  /** Waits until at least `n` lines arrived. */
  async waitForLines(n: number): Promise<void> {
    await waitFor(() => this.lines.length >= n, `${n} lines (have ${this.lines.length})`);
  }

  /**
   * Goes away cleanly as a daemon that stops would: stops listening, sends FIN on every
   * connection, and from then on drops whatever still arrives (as a closed socket would).
   */
  async finish(): Promise<void> {
    this.#discarding = true;
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    for (const c of this.#conns) await c.closeWrite().catch(() => {});
    await this.#accepting;
  }

  /** Stops listening and closes every connection (unread bytes make that a reset). */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    await this.#accepting;
    await Promise.all([...this.#tasks]);
  }
}

/** A sink in a child process: every byte it reads is appended to `file` at once. */
export class ProcessSink {
  readonly port: number;
  readonly file: string;
  #child: Deno.ChildProcess;

  private constructor(child: Deno.ChildProcess, port: number, file: string) {
    this.#child = child;
    this.port = port;
    this.file = file;
  }

  /** Starts a sink on `port` (0: any free port) appending to `file`. */
  static async start(file: string, port = 0): Promise<ProcessSink> {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-write", SINK_PROCESS, String(port), file],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`sink exited before listening on port ${port}`);
      text += value;
    }
    await reader.cancel();
    return new ProcessSink(child, Number(text.trim()), file);
  }

  /** Kills the sink with SIGKILL and waits for it. */
  async kill(): Promise<void> {
    this.#child.kill("SIGKILL");
    await this.#child.status;
  }
}

/** The lines in a ProcessSink's file (a partial last line is left out). */
export function fileLines(file: string): string[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const lines = text.split("\n");
  lines.pop();
  return lines;
}
