// What the UI tests, the screenshots and the UI benchmark need from a browser tab, whichever
// protocol drives it (the DevTools protocol for Chromium, cdp.ts; WebDriver BiDi for Firefox,
// bidi.ts), and the helpers built on it.

import { WAIT_LIMIT_MS } from "./net.ts";

/** A viewport size, and the emulation that goes with it. */
export interface Viewport {
  width: number;
  height: number;
  /** A phone: touch and the mobile meta viewport (where the browser emulates it). */
  mobile?: boolean;
  /** `prefers-color-scheme: dark` (where the browser emulates it). */
  dark?: boolean;
}

/** One tab. */
export interface BrowserPage {
  /** Console errors and uncaught exceptions so far (and failed loads, where reported). */
  readonly errors: string[];
  /** False when the browser cannot emulate `prefers-color-scheme` (Firefox over BiDi). */
  readonly emulatesColorScheme: boolean;
  /** Loads `url` and waits for its load event (none when only the hash changes). */
  goto(url: string): Promise<void>;
  setViewport(viewport: Viewport): Promise<void>;
  /** Evaluates an expression in the page (awaiting a promise) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Clicks the centre of the element `selector` finds, with real pointer events. */
  click(selector: string): Promise<void>;
  /** A PNG of the viewport. */
  screenshot(): Promise<Uint8Array>;
}

/** A running browser. */
export interface Browser {
  newPage(viewport: Viewport): Promise<BrowserPage>;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** An expression giving the centre of `selector`'s element, scrolled into view, or null. */
export function centreOf(selector: string): string {
  return `(() => {
    const el = document.querySelector(${JSON.stringify(selector)});
    if (!el) return null;
    el.scrollIntoView({ block: "center" });
    const r = el.getBoundingClientRect();
    return { x: Math.round(r.left + r.width / 2), y: Math.round(r.top + r.height / 2) };
  })()`;
}

/**
 * Evaluates `expression` until it gives a truthy value, and returns that value. After
 * WAIT_LIMIT_MS it throws, with the value of `explain` (an expression showing the state) if given.
 */
export async function waitInPage<T>(
  page: BrowserPage,
  expression: string,
  what: string,
  opts: { explain?: string } = {},
): Promise<T> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let last: T;
  while (!(last = await page.evaluate<T>(expression))) {
    if (Date.now() > deadline) {
      const state = opts.explain ? `: ${JSON.stringify(await page.evaluate(opts.explain))}` : "";
      throw new Error(`timed out waiting for ${what}${state}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return last;
}

/** Decodes a base64 screenshot. */
export function fromBase64(data: string): Uint8Array {
  return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
}

/**
 * A browser started for a test talks to 127.0.0.1 only: every other HTTP(S) request goes to a
 * proxy on a closed local port (loopback is never proxied), so a background service of the
 * browser cannot reach out.
 */
export const DEAD_PROXY = { host: "127.0.0.1", port: 9 };
