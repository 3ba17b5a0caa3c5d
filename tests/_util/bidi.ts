// A small WebDriver BiDi client for the browser tests in Firefox: starts Debian's headless
// firefox-esr with a fresh profile (its remote agent on a free port, read back from stderr),
// opens tabs over Deno's WebSocket and collects every console error and uncaught exception a
// page logs. The profile sends everything but loopback to a dead proxy and turns off Firefox's
// background services. No npm package, no browser download.

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

/** Where Debian's firefox-esr package installs the browser. */
export const FIREFOX = TOOLS["firefox-esr"].path;

/** Profile preferences: no traffic but loopback, no updates, telemetry or first-run pages. */
const PREFS: Record<string, string | number | boolean> = {
  "network.proxy.type": 1,
  "network.proxy.http": DEAD_PROXY.host,
  "network.proxy.http_port": DEAD_PROXY.port,
  "network.proxy.ssl": DEAD_PROXY.host,
  "network.proxy.ssl_port": DEAD_PROXY.port,
  "network.proxy.no_proxies_on": "127.0.0.1,localhost",
  "network.proxy.allow_hijacking_localhost": false,
  "network.trr.mode": 5,
  "network.dns.disablePrefetch": true,
  "network.prefetch-next": false,
  "network.http.speculative-parallel-limit": 0,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "dom.push.connection.enabled": false,
  "app.update.disabledForTesting": true,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.safebrowsing.downloads.enabled": false,
  "browser.shell.checkDefaultBrowser": false,
  "browser.startup.page": 0,
  "browser.newtabpage.enabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "datareporting.healthreport.uploadEnabled": false,
  "toolkit.telemetry.enabled": false,
  "extensions.update.enabled": false,
  "extensions.getAddons.cache.enabled": false,
  "services.settings.server": "http://127.0.0.1:9/",
};

/** A running headless Firefox and its BiDi session. */
export class Firefox implements Browser {
  #process: BrowserProcess;
  #rpc!: RpcConnection;
  #pages = new Map<string, BidiPage>();

  private constructor(process: BrowserProcess) {
    this.#process = process;
  }

  /** Starts Firefox with a new profile, connects and opens a BiDi session. */
  static async launch(): Promise<Firefox> {
    const profile = await Deno.makeTempDir({ prefix: "carbonado-firefox-" });
    const prefs = Object.entries(PREFS).map(([k, v]) =>
      `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`
    );
    await Deno.writeTextFile(`${profile}/user.js`, prefs.join("\n") + "\n");
    const child = new Deno.Command(FIREFOX, {
      args: ["--headless", "--no-remote", "--profile", profile, "--remote-debugging-port=0"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // The remote agent says where it listens on stderr; the rest of stderr is drained.
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    let match: RegExpExecArray | null = null;
    while (!(match = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(seen))) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`firefox exited before listening:\n${seen.slice(-4000)}`);
      seen += value;
    }
    const stderr = (async () => {
      while (!(await lines.read()).done) { /* drained */ }
    })();
    const firefox = new Firefox({ child, stderr, profile });
    firefox.#rpc = await RpcConnection.open(`${match[1]}/session`, (msg) => {
      const params = msg.params as Json;
      const context = (params.source as Json | undefined)?.context ?? params.context;
      firefox.#pages.get(context as string)?.event(msg.method as string, params);
    });
    await firefox.send("session.new", { capabilities: {} });
    await firefox.send("session.subscribe", { events: ["log.entryAdded"] });
    return firefox;
  }

  /** Sends a command and returns its result. */
  send(method: string, params: Json = {}): Promise<Json> {
    return this.#rpc.send(method, params);
  }

  async newPage(viewport: Viewport): Promise<BidiPage> {
    const { context } = await this.send("browsingContext.create", { type: "tab" });
    const page = new BidiPage(this, context as string);
    this.#pages.set(context as string, page);
    await page.setViewport(viewport);
    return page;
  }

  close(): Promise<void> {
    return closeBrowser(this.#rpc, "browser.close", this.#process);
  }
}

/** One tab, driven over BiDi. */
export class BidiPage implements BrowserPage {
  readonly #browser: Firefox;
  readonly context: string;
  readonly errors: string[] = [];
  readonly emulatesColorScheme = false;

  constructor(browser: Firefox, context: string) {
    this.#browser = browser;
    this.context = context;
  }

  /** Called by Firefox for each event of this tab. */
  event(method: string, params: Json): void {
    if (method === "log.entryAdded" && params.level === "error") {
      const where = params.type === "javascript" ? "uncaught" : `console.${params.method}`;
      this.errors.push(`${where}: ${params.text}`);
    }
  }

  async setViewport(viewport: Viewport): Promise<void> {
    await this.#browser.send("browsingContext.setViewport", {
      context: this.context,
      viewport: { width: viewport.width, height: viewport.height },
    });
  }

  async goto(url: string): Promise<void> {
    await this.#browser.send("browsingContext.navigate", {
      context: this.context,
      url,
      wait: "complete",
    });
  }

  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.#browser.send("script.evaluate", {
      expression: `(async () => JSON.stringify(await (${expression})))()`,
      target: { context: this.context },
      awaitPromise: true,
      resultOwnership: "none",
    });
    if (result.type === "exception") {
      const details = result.exceptionDetails as { text: string };
      throw new Error(`evaluate failed: ${details.text}`);
    }
    const value = result.result as { type: string; value?: string };
    return (value.type === "string" ? JSON.parse(value.value!) : undefined) as T;
  }

  async click(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number } | null>(centreOf(selector));
    if (!box) throw new Error(`nothing matches ${selector}`);
    await this.#browser.send("input.performActions", {
      context: this.context,
      actions: [{
        type: "pointer",
        id: "mouse",
        parameters: { pointerType: "mouse" },
        actions: [
          { type: "pointerMove", x: box.x, y: box.y },
          { type: "pointerDown", button: 0 },
          { type: "pointerUp", button: 0 },
        ],
      }],
    });
  }

  async screenshot(): Promise<Uint8Array> {
    const { data } = await this.#browser.send("browsingContext.captureScreenshot", {
      context: this.context,
    });
    return fromBase64(data as string);
  }
}
