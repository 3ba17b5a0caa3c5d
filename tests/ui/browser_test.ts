// The status page in real browsers: Debian's headless Chromium (driven over the DevTools
// protocol) and Firefox ESR (over WebDriver BiDi) load the page from a running daemon that is
// taking points and writing Whisper files. The same scenario runs in each: every chart on show
// draws a series (the key ones non-zero values, with the line's pixels on the canvas); the
// metric browser finds a metric sent a moment earlier by clicking through the tree and charts its
// value with its step and archive; the page fits a phone's width and (where the browser emulates
// it) follows the dark scheme; and no console error or uncaught exception (in Chromium, no failed
// load either) happens on the way. Each browser's test is skipped, saying so, when it is missing.

import { assert, assertEquals } from "../_util/assert.ts";
import { Firefox } from "../_util/bidi.ts";
import { type Browser, type BrowserPage, waitInPage } from "../_util/browser_page.ts";
import { Chromium } from "../_util/cdp.ts";
import { fetchText, startDaemon } from "../_util/daemon.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { writeAll } from "../../src/net/stream_server.ts";
import { requires, type Tool } from "../_util/requires.ts";

const ENGINES: { name: string; tool: Tool; launch: () => Promise<Browser> }[] = [
  { name: "Chromium", tool: "chromium", launch: Chromium.launch },
  { name: "Firefox", tool: "firefox-esr", launch: Firefox.launch },
];

/** Plaintext points on one connection every 100 ms: steady series plus a few new ones each time. */
function startLoad(port: number): { stop: () => Promise<void> } {
  let running = true;
  const done = (async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const enc = new TextEncoder();
    try {
      for (let tick = 0; running && tick < 3000; tick++) {
        const now = Math.floor(Date.now() / 1000);
        let text = "";
        for (let m = 0; m < 500; m++) text += `load.steady.m${m} ${tick % 100} ${now}\n`;
        for (let m = 0; m < 5; m++) text += `load.new.t${tick}_${m} 1 ${now}\n`;
        await writeAll(conn, enc.encode(text));
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      conn.close();
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** For each chart on show: its id, how many of its lines have two values or more. */
const CHARTS_DRAWN = `[...document.querySelectorAll("figure[data-chart]")]
  .filter((f) => f.closest("details:not([open])") === null).map((f) => {
  const data = f.querySelector(".chart").chart.data;
  const lines = data.slice(1);
  return {
    id: f.dataset.chart,
    lines: lines.length,
    drawn: lines.filter((ys) => ys.filter((v) => v !== null).length >= 2).length,
    positive: lines.some((ys) => ys.some((v) => v > 0)),
  };
})`;

/** Pixels of the first line's colour (#4e79a7) on a chart's canvas. */
function linePixels(page: BrowserPage, metric: string): Promise<number> {
  return page.evaluate<number>(`(() => {
    const figure = [...document.querySelectorAll("figure[data-chart]")]
      .find((f) => f.dataset.chart.endsWith("|${metric}"));
    const canvas = figure.querySelector("canvas");
    const px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) {
      const near = Math.abs(px[i] - 78) + Math.abs(px[i + 1] - 121) + Math.abs(px[i + 2] - 167);
      if (near < 60 && px[i + 3] > 128) n++;
    }
    return n;
  })()`);
}

for (const engine of ENGINES) {
  Deno.test(requires(engine.tool, {
    name: `status page in ${engine.name}: live charts, metric browser, phone, no console error`,
    fn: () => scenario(engine.launch),
  }));
}

async function scenario(launch: () => Promise<Browser>): Promise<void> {
  const dataDir = await Deno.makeTempDir();
  const daemon = await startDaemon({ dataDir });
  const load = startLoad(daemon.port("tcp"));
  const browser = await launch();
  try {
    const base = `http://${daemon.listeners.carbonserver}`;
    const page = await browser.newPage({ width: 1366, height: 768 });
    await page.goto(`${base}/?interval=500`);

    // Live charts: every chart of an open panel draws, ingest and persistence show activity.
    type Drawn = { id: string; lines: number; drawn: number; positive: boolean }[];
    const active = JSON.stringify([
      "carbonado_received_points_total",
      "carbonado_persisted_points_total",
      "carbonado_whisper_created_total",
    ]);
    const charts = await waitInPage<Drawn>(
      page,
      `(() => {
        const charts = ${CHARTS_DRAWN};
        const ok = charts.length >= 8 && charts.every((c) => c.lines > 0 && c.drawn === c.lines) &&
          ${active}.every((m) => charts.some((c) => c.id.endsWith("|" + m) && c.positive));
        return ok && charts;
      })()`,
      "every open chart to draw, with points received, persisted and files created",
      { explain: CHARTS_DRAWN },
    );
    assert.ok(charts.some((c) => c.id.includes("carbonado_cache_max_points")), "cache vs max-size");
    assert.ok(await linePixels(page, "carbonado_received_points_total") > 20, "line pixels drawn");
    const health = await page.evaluate<string>(`document.getElementById("health").dataset.state`);
    assertEquals(health, "ok");

    // The metric browser: a metric sent now is found in the tree and charted.
    const name = `uitest.fresh.m${crypto.randomUUID().slice(0, 8)}`;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: daemon.port("tcp") });
    await writeAll(conn, new TextEncoder().encode(`${name} 42 ${Math.floor(Date.now() / 1000)}\n`));
    conn.close();
    await waitFor(
      async () => (await fetchText(`${base}/metrics/find/?query=${name}`)).includes(name),
      "the daemon to know the new metric",
    );
    await page.goto(`${base}/?interval=500#metrics`);
    for (const path of ["uitest", "uitest.fresh", name]) {
      const selector = `.node[data-path="${path}"]`;
      await waitInPage(page, `!!document.querySelector(${JSON.stringify(selector)})`, selector);
      await page.click(selector);
    }
    await waitInPage(
      page,
      `carbonadoUi.browser.chart.data.slice(1).some((ys) => ys.includes(42))`,
      "the chart to show the value 42",
    );
    const row = await waitInPage<string[]>(
      page,
      `(() => {
        const cells = [...document.querySelectorAll(".series-table tbody td")];
        return cells.length > 0 && cells.map((td) => td.textContent);
      })()`,
      "the series table",
    );
    assertEquals(row[0], name);
    assertEquals(row.slice(1, 4), ["1m", "#0 of 1", "▸1m:7d"], "carbon's default schema");
    assert.match(row[4], /^(on disk|cache only, no file yet)$/);
    assert.match(await page.evaluate<string>("location.hash"), /^#metrics\?target=uitest\.fresh/);

    // Tagged series (issue #11): tag, then value, then the series, charted by its tagged name.
    const id = `t${crypto.randomUUID().slice(0, 8)}`;
    const tagged = `uitest.tagged;dc=east;ui=${id}`;
    await sendTcp(
      daemon.port("tcp"),
      `uitest.tagged;ui=${id};dc=east 7 ${Math.floor(Date.now() / 1000)}\n`,
    );
    await waitFor(
      async () => (await fetchText(`${base}/tags/findSeries?expr=ui=${id}`)).includes(tagged),
      "the daemon to index the tagged series",
    );
    // another query string: a new document, so the tree is loaded afresh
    await page.goto(`${base}/?interval=501#metrics`);
    for (const path of ["ui", `ui=${id}`, tagged]) {
      const selector = `.node[data-path="${path}"]`;
      await waitInPage(page, `!!document.querySelector(${JSON.stringify(selector)})`, selector);
      await page.click(selector);
    }
    await waitInPage(
      page,
      `carbonadoUi.browser.chart.data.slice(1).some((ys) => ys.includes(7))`,
      "the chart of the tagged series to show the value 7",
    );

    // A phone, in the dark: nothing wider than the screen, the dark colours applied.
    await page.goto(`${base}/?interval=500#status`);
    await page.setViewport({ width: 390, height: 844, mobile: true, dark: true });
    await waitInPage(
      page,
      `document.documentElement.scrollWidth <= innerWidth &&
        [...document.querySelectorAll("details[open] canvas")].length > 0 &&
        [...document.querySelectorAll("details[open] canvas")]
          .every((c) => c.getBoundingClientRect().right <= innerWidth)`,
      "the page and its charts to fit 390 px",
    );
    if (page.emulatesColorScheme) {
      assertEquals(
        await page.evaluate<string>("getComputedStyle(document.body).backgroundColor"),
        "rgb(13, 17, 23)",
      );
    }

    assertEquals(page.errors, [], "console errors, exceptions or failed loads");
  } finally {
    await browser.close();
    await load.stop();
    await daemon.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}
