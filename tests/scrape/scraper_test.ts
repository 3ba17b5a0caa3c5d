// The scrape manager over a real head and a real target: jobs started, a reload that keeps an
// unchanged job's loop and adds a new one, a bad file on reload keeping the jobs in use,
// file_sd targets appearing when their file is written, /api/v1/targets.

import { assert, assertEquals } from "../_util/assert.ts";
import { waitFor } from "../_util/net.ts";
import { Head } from "../../src/appender/head.ts";
import { Scraper } from "../../src/scrape/scraper.ts";

Deno.test("Scraper: reload keeps unchanged jobs, adds new ones, refuses a bad file; file_sd targets come and go", async () => {
  const dir = await Deno.makeTempDir();
  const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: 262_144, debug: true });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("x 1\n"),
  );
  const target = `127.0.0.1:${server.addr.port}`;
  const config = `${dir}/prometheus.yml`;
  const job = (name: string) =>
    `  - {job_name: ${name}, scrape_interval: 1s, static_configs: [{targets: ['${target}']}]}\n`;
  await Deno.writeTextFile(config, `scrape_configs:\n${job("a")}rule_files: [x]\n`);
  const scraper = new Scraper({
    configFile: config,
    prefix: "",
    bodySizeLimit: 1 << 20,
    startSlots: 20,
    hostname: "test",
    userAgent: "carbonado/test",
  }, head);
  try {
    assertEquals(scraper.warnings.length, 1);
    assert.match(scraper.warnings[0], /rule_files/);
    scraper.start();
    const [a] = scraper.loops();
    await waitFor(() => a.state.health === "up", "job a's first scrape");

    await Deno.writeTextFile(
      config,
      `scrape_configs:\n${job("a")}${job("b")}` +
        `  - job_name: c\n    scrape_interval: 1s\n    file_sd_configs: [{files: ['${dir}/sd/*.json'], refresh_interval: 1s}]\n`,
    );
    assertEquals(scraper.reload(), true);
    assertEquals(scraper.loops().map((l) => l.target.job.jobName).sort(), ["a", "b"]);
    assert.ok(scraper.loops().includes(a), "job a kept its loop");

    await Deno.mkdir(`${dir}/sd`);
    await Deno.writeTextFile(
      `${dir}/sd/t.json`,
      JSON.stringify([{ targets: [target], labels: { env: "x" } }]),
    );
    await waitFor(() => scraper.loops().length === 3, "the file_sd target");
    const c = scraper.loops().find((l) => l.target.job.jobName === "c")!;
    assertEquals(c.target.publicLabels, [["env", "x"], ["instance", target], ["job", "c"]]);
    await waitFor(() => c.state.health === "up", "job c's first scrape");

    await Deno.writeTextFile(config, "scrape_configs: [{job_name: a, scheme: ftp}]\n");
    assertEquals(scraper.reload(), false);
    assertEquals(scraper.loops().length, 3);

    const res = scraper.handle(
      new Request("http://x/api/v1/targets"),
      new URL("http://x/api/v1/targets"),
    )!;
    const body = await res.json();
    assertEquals(body.status, "success");
    assertEquals(body.data.activeTargets.length, 3);
    assert.ok(body.data.activeTargets.every((t: { health: string }) => t.health === "up"));

    await Deno.remove(`${dir}/sd/t.json`);
    await waitFor(() => scraper.loops().length === 2, "the file_sd target to go");
  } finally {
    await scraper.stop();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
