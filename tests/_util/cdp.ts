// A small Chrome DevTools Protocol client for the browser tests, the screenshots and the UI
// benchmark: starts Debian's headless Chromium on a free debugging port (read back from the
// DevToolsActivePort file of a fresh profile), opens pages over Deno's WebSocket, and collects
// every console error, uncaught exception and failed load a page reports. No npm package, no
// browser download.

import {
  type Browser,
  type BrowserPage,
  centreOf,
  DEAD_PROXY,
  fromBase64,
  type Viewport,
} from "./browser_page.ts";
import { type BrowserProcess, closeBrowser, type Json, RpcConnection } from "./browser_process.ts";
import { TOOLS } from "./requires.ts";

/** Where Debian's chromium package installs the browser. */
export const CHROMIUM = TOOLS.chromium.path;

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-extensions",
  "--disable-default-apps",
  "--mute-audio",
  "--remote-debugging-port=0",
  `--proxy-server=http://${DEAD_PROXY.host}:${DEAD_PROXY.port}`,
];

/** A running headless Chromium and its browser-level DevTools connection. */
export class Chromium implements Browser {
  #process: BrowserProcess;
  #rpc!: RpcConnection;
  #sessions = new Map<string, Page>();

  private constructor(process: BrowserProcess) {
    this.#process = process;
  }

  /** Starts Chromium with a new profile directory and connects to it. */
  static async launch(): Promise<Chromium> {
    const profile = await Deno.makeTempDir({ prefix: "carbonado-chromium-" });
    const child = new Deno.Command(CHROMIUM, {
      args: [...FLAGS, `--user-data-dir=${profile}`, "about:blank"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Keep only the end of stderr (dbus complaints): it is shown if the start fails.
    const stderr = (async () => {
      let tail = "";
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        tail = (tail + chunk).slice(-4000);
      }
      return tail;
    })();
    let exited = false;
    child.status.then(() => exited = true);
    const portFile = `${profile}/DevToolsActivePort`;
    let lines: string[] = [];
    while (lines.length < 2) {
      if (exited) throw new Error(`chromium exited before listening:\n${await stderr}`);
      try {
        lines = Deno.readTextFileSync(portFile).split("\n").filter((l) => l !== "");
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      if (lines.length < 2) await new Promise((r) => setTimeout(r, 20));
    }
    const chromium = new Chromium({ child, stderr, profile });
    chromium.#rpc = await RpcConnection.open(
      `ws://127.0.0.1:${lines[0]}${lines[1]}`,
      (msg) =>
        chromium.#sessions.get(msg.sessionId as string)?.event(
          msg.method as string,
          msg.params as Json,
        ),
    );
    return chromium;
  }

  /** Sends a command (to a page when `sessionId` is given) and returns its result. */
  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    return this.#rpc.send(method, params, sessionId === undefined ? {} : { sessionId });
  }

  /** Opens a new tab of the viewport's size, with the page events it needs enabled. */
  async newPage(viewport: Viewport): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    const page = new Page(this, sessionId as string, targetId as string);
    this.#sessions.set(sessionId as string, page);
    await Promise.all([
      page.send("Page.enable"),
      page.send("Runtime.enable"),
      page.send("Log.enable"),
      page.send("Network.enable"),
    ]);
    await page.setViewport(viewport);
    return page;
  }

  /** Closes the browser and removes its profile. */
  close(): Promise<void> {
    return closeBrowser(this.#rpc, "Browser.close", this.#process);
  }
}

/** One tab. */
export class Page implements BrowserPage {
  readonly #browser: Chromium;
  readonly sessionId: string;
  readonly targetId: string;
  /** Console errors, uncaught exceptions and failed requests, as text. */
  readonly errors: string[] = [];
  readonly emulatesColorScheme = true;
  #loaded: (() => void)[] = [];

  constructor(browser: Chromium, sessionId: string, targetId: string) {
    this.#browser = browser;
    this.sessionId = sessionId;
    this.targetId = targetId;
  }

  send(method: string, params: Json = {}): Promise<Json> {
    return this.#browser.send(method, params, this.sessionId);
  }

  /** Called by Chromium for each event of this page. */
  event(method: string, params: Json): void {
    switch (method) {
      case "Runtime.consoleAPICalled": {
        if (params.type !== "error" && params.type !== "assert") break;
        const args = params.args as { value?: unknown; description?: string }[];
        this.errors.push(
          `console.${params.type}: ${args.map((a) => a.description ?? a.value).join(" ")}`,
        );
        break;
      }
      case "Runtime.exceptionThrown": {
        const d = params.exceptionDetails as { text: string; exception?: { description?: string } };
        this.errors.push(`uncaught: ${d.exception?.description ?? d.text}`);
        break;
      }
      case "Log.entryAdded": {
        const entry = params.entry as { level: string; text: string; url?: string };
        if (entry.level === "error") this.errors.push(`log: ${entry.text} ${entry.url ?? ""}`);
        break;
      }
      case "Network.loadingFailed": {
        if (params.canceled) break;
        this.errors.push(`load failed: ${params.errorText} (${params.type})`);
        break;
      }
      case "Page.loadEventFired":
        for (const resolve of this.#loaded.splice(0)) resolve();
        break;
    }
  }

  /** Sets the viewport size, touch and mobile emulation, and the colour scheme. */
  async setViewport(opts: Viewport): Promise<void> {
    await this.send("Emulation.setDeviceMetricsOverride", {
      width: opts.width,
      height: opts.height,
      deviceScaleFactor: 1,
      mobile: opts.mobile ?? false,
    });
    await this.send("Emulation.setEmulatedMedia", {
      features: [{ name: "prefers-color-scheme", value: opts.dark ? "dark" : "light" }],
    });
  }

  /** Loads `url` and waits for its load event (none comes when only the hash changes). */
  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.#loaded.push(resolve));
    const result = await this.send("Page.navigate", { url });
    if (result.errorText) throw new Error(`cannot load ${url}: ${result.errorText}`);
    if (result.loaderId !== undefined) await loaded;
    else this.#loaded.length = 0;
  }

  /** Evaluates an expression in the page (awaiting a promise) and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.send("Runtime.evaluate", {
      expression,
      awaitPromise: true,
      returnByValue: true,
    });
    const details = result.exceptionDetails as {
      exception?: { description?: string };
      text: string;
    };
    if (details) {
      throw new Error(`evaluate failed: ${details.exception?.description ?? details.text}`);
    }
    return (result.result as { value: T }).value;
  }

  /** Clicks the centre of the element `selector` finds, with real mouse events. */
  async click(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number } | null>(centreOf(selector));
    if (!box) throw new Error(`nothing matches ${selector}`);
    for (const type of ["mousePressed", "mouseReleased"]) {
      await this.send("Input.dispatchMouseEvent", {
        type,
        x: box.x,
        y: box.y,
        button: "left",
        clickCount: 1,
      });
    }
  }

  /** A PNG of the viewport. */
  async screenshot(): Promise<Uint8Array> {
    const { data } = await this.send("Page.captureScreenshot", { format: "png" });
    return fromBase64(data as string);
  }
}
