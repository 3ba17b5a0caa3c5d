// Takes the status page screenshots shown in the README (docs/ui/*.png): starts the daemon on
// free ports with 1-second and 10-second schemas, backfills an hour of a few demo series for the metric
// browser, sends varying live traffic (a few bad lines among it) for 40 s while the page
// records, then captures the page with headless Chromium at desktop (1366x768) and phone
// (390x844) sizes, light and dark.
//
//   deno task screenshots            (needs Debian's chromium)

import { type BrowserPage, waitInPage } from "../tests/_util/browser_page.ts";
import { Chromium } from "../tests/_util/cdp.ts";
import { startDaemon } from "../tests/_util/daemon.ts";
import { writeAll } from "../src/net/stream_server.ts";
import { missing } from "../tests/_util/requires.ts";

const OUT = new URL("../docs/ui/", import.meta.url);
const RECORD_SECONDS = 40;
const HOSTS = ["web-01", "web-02", "web-03"];

if (missing("chromium") !== null) {
  console.error(missing("chromium"));
  Deno.exit(1);
}

const dataDir = await Deno.makeTempDir();
const schemas = `${dataDir}/storage-schemas.conf`;
await Deno.writeTextFile(
  schemas,
  "[demo]\npattern = ^demo\\.\nretentions = 10s:1d,1m:30d\n\n" +
    "[all]\npattern = .*\nretentions = 1s:10m,1m:1d\n",
);
const daemon = await startDaemon({
  dataDir: `${dataDir}/whisper`,
  env: {
    CARBONADO_WHISPER_SCHEMAS_FILE: schemas,
    CARBONADO_COMMON_METRIC_INTERVAL: "10s",
    CARBONADO_PICKLE_ENABLED: "false",
  },
});
const conn = await Deno.connect({ hostname: "127.0.0.1", port: daemon.port("tcp") });
const send = (text: string) => writeAll(conn, new TextEncoder().encode(text));

// An hour of demo series, for the metric browser.
const now = Math.floor(Date.now() / 1000);
let history = "";
for (let t = now - 3600; t <= now; t += 10) {
  HOSTS.forEach((host, h) => {
    const load = 40 + 25 * Math.sin((t / 600) + h) + 10 * Math.sin(t / 97 + h * 2);
    history += `demo.${host}.requests ${load.toFixed(2)} ${t}\n`;
  });
}
await send(history);

const browser = await Chromium.launch();
const base = `http://${daemon.listeners.carbonserver}`;
const page = await browser.newPage({ width: 1366, height: 768 });
await page.goto(`${base}/?interval=1000`);

// Live traffic whose rate rises and falls, new series now and then, a few bad lines; it goes on
// while the screenshots are taken.
let sending = true;
const traffic = (async () => {
  for (let tick = 0; sending; tick++) {
    // Each second `rate` of the app series send one point, a tenth of them every 100 ms.
    const t = Math.floor(Date.now() / 1000);
    const rate = Math.round(3000 + 2000 * Math.sin(tick / 60));
    let text = "";
    for (let m = Math.floor((tick % 10) * rate / 10); m < ((tick % 10) + 1) * rate / 10; m++) {
      text += `app.svc-${m % 50}.worker-${Math.floor(m / 50)}.latency ${m % 97} ${t}\n`;
    }
    if (tick % 10 === 0) text += `app.new.series-${tick} 1 ${t}\n`;
    if (tick % 25 === 0) text += "a line without a value\n";
    await send(text);
    await new Promise((r) => setTimeout(r, 100));
  }
  conn.close();
})();
await new Promise((r) => setTimeout(r, RECORD_SECONDS * 1000));

/** Waits for the page's next update (charts resized and redrawn), then takes a screenshot. */
async function shot(p: BrowserPage, name: string): Promise<void> {
  const n = await p.evaluate<number>("carbonadoUi.timings.length");
  await waitInPage(p, `carbonadoUi.timings.length > ${n}`, "the next update");
  await p.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
  await Deno.writeFile(new URL(name, OUT), await p.screenshot());
  console.log(`docs/ui/${name}`);
}

await Deno.mkdir(OUT, { recursive: true });
await shot(page, "status-desktop.png");
await page.setViewport({ width: 1366, height: 768, dark: true });
await shot(page, "status-desktop-dark.png");
await page.setViewport({ width: 390, height: 844, mobile: true });
await shot(page, "status-phone.png");
await page.setViewport({ width: 390, height: 844, mobile: true, dark: true });
await shot(page, "status-phone-dark.png");

await page.setViewport({ width: 1366, height: 768 });
await page.goto(`${base}/?interval=1000#metrics?target=demo.*.requests&range=3600`);
await waitInPage(page, "carbonadoUi.browser.chart.data.length === 4", "the demo chart");
await page.click('.node[data-path="demo"]');
await waitInPage(page, `!!document.querySelector('.node[data-path="demo.web-01"]')`, "the tree");
await page.click('.node[data-path="demo.web-01"]');
await waitInPage(
  page,
  `!!document.querySelector('.node[data-path="demo.web-01.requests"]')`,
  "a leaf",
);
await shot(page, "metrics-desktop.png");
await page.setViewport({ width: 390, height: 844, mobile: true, dark: true });
await shot(page, "metrics-phone-dark.png");

sending = false;
await traffic;
if (page.errors.length > 0) console.error("page errors:", page.errors);
await browser.close();
await daemon.stop();
await Deno.remove(dataDir, { recursive: true });
