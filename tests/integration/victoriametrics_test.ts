// Influx line protocol and OpenTSDB against Debian's VictoriaMetrics 1.79 (started with
// -influxMeasurementFieldSeparator=.): the same lines sent to both, over TCP, UDP and HTTP,
// must give the same series (label sets as carbon names, tags in carbon's order), timestamps
// and values; carbonado read back through its query side (/metrics/index.json and the TagDB
// API for names, /render/ for points). Values keep at most 12 significant digits
// (VictoriaMetrics' own precision). The inputs avoid where the two differ by design (README:
// non-numeric strings, malformed values, leading blanks, telnet milliseconds).

import { assertEquals } from "../_util/assert.ts";
import { startDaemon } from "../_util/daemon.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { startVictoria } from "../_util/victoria.ts";
import { requires } from "../_util/requires.ts";

const enc = new TextEncoder();

/**
 * Every series carbonado answers for, with its points in [from, until]: the untagged names of
 * /metrics/index.json (whose tagged entries are their `_tagged` files) and the tagged names of
 * the TagDB API.
 */
async function carbonadoSeries(base: string, from: number, until: number) {
  const files: string[] = await (await fetch(`${base}/metrics/index.json`)).json();
  const tagged: string[] = await (await fetch(`${base}/tags/findSeries?expr=name%3D~.%2B`)).json();
  const names = [...files.filter((n) => !n.startsWith("_tagged.")), ...tagged];
  const out = new Map<string, [number, number][]>();
  for (const name of names) {
    const q = new URLSearchParams({
      target: name,
      from: `${from}`,
      until: `${until}`,
      format: "json",
    });
    const body = await (await fetch(`${base}/render/?${q}`)).json();
    for (const m of body.metrics ?? []) {
      const points: [number, number][] = [];
      m.values.forEach((v: number, i: number) => {
        if (!m.isAbsent[i]) points.push([m.startTime + i * m.stepTime, v]);
      });
      out.set(m.name, points);
    }
  }
  return out;
}

const sorted = (m: Map<string, [number, number][]>) =>
  new Map([...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)));

Deno.test(requires("victoria-metrics", {
  name: "Influx and OpenTSDB lines give the series VictoriaMetrics 1.79 gives",
  async fn() {
    const root = await Deno.makeTempDir();
    await Deno.writeTextFile(`${root}/schemas.conf`, "[all]\npattern = .*\nretentions = 1s:1d\n");
    const vm = await startVictoria();
    const daemon = await startDaemon({
      dataDir: `${root}/whisper`,
      env: {
        CARBONADO_WHISPER_SCHEMAS_FILE: `${root}/schemas.conf`,
        CARBONADO_INFLUX_ENABLED: "true",
        CARBONADO_OPENTSDB_ENABLED: "true",
      },
    });
    try {
      const t = Math.floor(Date.now() / 1000) - 1800;
      // Influx over TCP: every number type, units guessed from the magnitude, escapes
      const tcp = [
        `cpu,host=server01,region=us-west usage_user=12.5,usage_system=3i,usage_idle=84.25 ${t}`,
        `cpu,host=server02,region=us-east usage_user=1.5e1,ok=true,bad=F ${t}000`,
        `cpu,host=server01,region=us-west usage_user=13.75,usage_system=4i,usage_idle=82.5 ${
          t + 10
        }000000`,
        `disk,path=/var,device=sda1 free=123456789u,used_percent=42.125 ${t}123456`,
        `mem total=17179869184i,available_percent=55.5 ${t + 1}999999999`,
        `esc\\ aped\\,m,tag\\ key=tag\\,val\\=x field\\ one=1,f\\=2=2 ${t}`,
        `numstr,a=1 n="12.5" ${t}`,
        `dup,k=first,k=last f=1 ${t}`,
        `temp,room=séjour celsius=-3.25 ${t}`,
      ].join("\n") + "\n";
      // Influx over HTTP with db and precision
      const http = [`web,page=/index.html hits=100i ${t}`, `web,db=own hits=7i ${t + 1}`]
        .join("\n");
      const httpMs = `queue,qname=q1 depth=5 ${t + 2}500\n`;
      // Influx over UDP
      const udp = `udp_m,src=dgram v=0.001 ${t}\n`;
      // OpenTSDB telnet and HTTP
      const telnet = [
        `put sys.cpu.user ${t} 42.5 host=web01 cpu=0`,
        // VictoriaMetrics 1.79 reads telnet timestamps as seconds only (OpenTSDB, and carbonado,
        // take milliseconds too): seconds here
        `put sys.cpu.user ${t + 1}.5 43 host=web01 cpu=0`,
        `put sys.if.bytes ${t} 1e6 iface=eth0`,
        `put notags ${t} 7`,
      ].join("\n") + "\n";
      const tsdbJson = JSON.stringify([
        { metric: "http.put", timestamp: t, value: 1.25, tags: { dc: "lhr" } },
        { metric: "http.put", timestamp: (t + 5) * 1000, value: 2, tags: { dc: "lhr" } },
      ]);

      const carbonadoHttp = `http://${daemon.listeners["http-ingest"]}`;
      const vmHttp = `http://127.0.0.1:${vm.http}`;
      const send = async (url: string, body: string) => {
        const res = await fetch(url, { method: "POST", body });
        await res.body?.cancel();
        assertEquals(res.status, 204, url);
      };
      const udpClient = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
      try {
        for (const port of [daemon.port("influx_udp"), vm.influx]) {
          await udpClient.send(enc.encode(udp), { hostname: "127.0.0.1", port, transport: "udp" });
        }
      } finally {
        udpClient.close();
      }
      await sendTcp(daemon.port("influx"), tcp);
      await sendTcp(vm.influx, tcp);
      await send(`${carbonadoHttp}/write?db=telegraf`, http);
      await send(`${vmHttp}/write?db=telegraf`, http);
      await send(`${carbonadoHttp}/write?precision=ms`, httpMs);
      await send(`${vmHttp}/write?precision=ms`, httpMs);
      await sendTcp(daemon.port("opentsdb"), telnet);
      await sendTcp(vm.opentsdb, telnet);
      await send(`${carbonadoHttp}/api/put`, tsdbJson);
      await send(`http://127.0.0.1:${vm.opentsdb}/api/put`, tsdbJson);

      const points = (m: Map<string, [number, number][]>) =>
        [...m.values()].reduce((n, p) => n + p.length, 0);
      const expectedPoints = 28;
      let fromVm = new Map<string, [number, number][]>();
      await waitFor(async () => points(fromVm = await vm.series()) === expectedPoints);
      const base = `http://${daemon.listeners.carbonserver}`;
      let fromUs = new Map<string, [number, number][]>();
      await waitFor(
        async () => points(fromUs = await carbonadoSeries(base, t - 60, t + 60)) === expectedPoints,
      );
      assertEquals(sorted(fromUs), sorted(fromVm));
      // a few by name, as a reader of the README would look for them
      assertEquals(fromUs.get("cpu.usage_user;host=server01;region=us-west"), [
        [t, 12.5],
        [t + 10, 13.75],
      ]);
      assertEquals(fromUs.get("esc aped,m.field one;tag key=tag,val=x"), [[t, 1]]);
      assertEquals(fromUs.get("web.hits;db=telegraf;page=/index.html"), [[t, 100]]);
      assertEquals(fromUs.get("sys.cpu.user;cpu=0;host=web01"), [[t, 42.5], [t + 1, 43]]);
    } finally {
      await daemon.stop();
      await vm.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
}));
