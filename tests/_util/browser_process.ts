// What the Chromium (CDP) and Firefox (WebDriver BiDi) drivers share: a browser process with its
// own profile directory, and a JSON command connection over a WebSocket where each command
// carries an id and its answer the same id, everything else being an event.

/** A protocol message. */
export type Json = Record<string, unknown>;

type Pending = { resolve: (v: Json) => void; reject: (e: Error) => void; method: string };

/** Commands and events over one WebSocket. */
export class RpcConnection {
  #ws: WebSocket;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #closed: Promise<void>;

  private constructor(ws: WebSocket, onEvent: (msg: Json) => void) {
    this.#ws = ws;
    this.#closed = new Promise((resolve) => ws.addEventListener("close", () => resolve()));
    ws.addEventListener("message", (e) => {
      const msg = JSON.parse(e.data as string) as Json;
      if (typeof msg.id !== "number") return onEvent(msg);
      const pending = this.#pending.get(msg.id);
      if (!pending) return;
      this.#pending.delete(msg.id);
      // CDP: {error: {message}}; BiDi: {type: "error", error: code, message}
      const error = msg.error as { message: string } | string | undefined;
      if (error === undefined) pending.resolve(msg.result as Json);
      else {
        const why = typeof error === "string" ? `${error}: ${msg.message}` : error.message;
        pending.reject(new Error(`${pending.method}: ${why}`));
      }
    });
  }

  /** Connects to `url`; `onEvent` receives every message that answers no command. */
  static async open(url: string, onEvent: (msg: Json) => void): Promise<RpcConnection> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), {
        once: true,
      });
    });
    return new RpcConnection(ws, onEvent);
  }

  /** Sends a command (`extra` adds fields such as CDP's sessionId) and returns its result. */
  send(method: string, params: Json = {}, extra: Json = {}): Promise<Json> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, method });
      this.#ws.send(JSON.stringify({ id, method, params, ...extra }));
    });
  }

  async close(): Promise<void> {
    this.#ws.close();
    await this.#closed;
  }
}

/** A started browser: its process, its stderr being drained, its profile directory. */
export interface BrowserProcess {
  child: Deno.ChildProcess;
  stderr: Promise<unknown>;
  profile: string;
}

/**
 * Asks the browser to close with `closeCommand`, closes the connection, waits for the process
 * and its stderr, and removes the profile.
 */
export async function closeBrowser(
  rpc: RpcConnection,
  closeCommand: string,
  process: BrowserProcess,
): Promise<void> {
  try {
    await rpc.send(closeCommand);
  } catch {
    // already gone
  }
  await rpc.close();
  await process.child.status;
  await process.stderr;
  await Deno.remove(process.profile, { recursive: true });
}
