// Reads `deno bench --json` on stdin and prints lines/s and MB/s for every benchmark whose name
// carries a `[lines=N bytes=M]` tag.

const input = await new Response(Deno.stdin.readable).text();
const report = JSON.parse(input.slice(input.indexOf("{")));
const rows: string[][] = [["benchmark", "time/iter", "lines/s", "MB/s"]];
for (const bench of report.benches) {
  const m = /\[lines=(\d+) bytes=(\d+)\]/.exec(bench.name);
  const ok = bench.results?.[0]?.ok;
  if (!m || !ok) continue;
  const seconds = ok.avg / 1e9;
  rows.push([
    bench.name.replace(m[0], "").trim(),
    `${(seconds * 1000).toFixed(1)} ms`,
    `${(Number(m[1]) / seconds / 1e6).toFixed(2)} M`,
    `${(Number(m[2]) / seconds / 1e6).toFixed(0)}`,
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const out = rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ")).join("\n");
await Deno.stdout.write(new TextEncoder().encode(out + "\n"));
