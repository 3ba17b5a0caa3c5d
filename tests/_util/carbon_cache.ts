// Debian's carbon-cache 1.1.7 (graphite-carbon) for tests: the twistd daemon in the foreground
// with a temp carbon.conf on free ports, stopped when the test body is done.

import { freePort } from "./net.ts";
import { waitFor } from "./net.ts";
import { PYTHON, TOOLS } from "./requires.ts";

const CARBON_CACHE = TOOLS.carbon.path;

/** Runs carbon-cache with its data under `root/data` until `fn` is done. */
export async function withCarbonCache(
  root: string,
  fn: (linePort: number, dataDir: string) => Promise<void>,
  schemas = "[default]\npattern = .*\nretentions = 60s:1d\n",
): Promise<void> {
  for (const d of ["conf", "data", "log", "run", "lists"]) {
    await Deno.mkdir(`${root}/${d}`, { recursive: true });
  }
  const linePort = freePort();
  await Deno.writeTextFile(
    `${root}/conf/carbon.conf`,
    `[cache]\nSTORAGE_DIR = ${root}/\nLOCAL_DATA_DIR = ${root}/data/\n` +
      `WHITELISTS_DIR = ${root}/lists/\nCONF_DIR = ${root}/conf/\nLOG_DIR = ${root}/log/\n` +
      `PID_DIR = ${root}/run/\nENABLE_LOGROTATION = False\nUSER =\n` +
      `MAX_CACHE_SIZE = inf\nMAX_UPDATES_PER_SECOND = inf\nMAX_CREATES_PER_MINUTE = inf\n` +
      `LINE_RECEIVER_INTERFACE = 127.0.0.1\nLINE_RECEIVER_PORT = ${linePort}\n` +
      `ENABLE_UDP_LISTENER = False\nPICKLE_RECEIVER_INTERFACE = 127.0.0.1\n` +
      `PICKLE_RECEIVER_PORT = ${freePort()}\nCACHE_QUERY_INTERFACE = 127.0.0.1\n` +
      `CACHE_QUERY_PORT = ${freePort()}\nENABLE_TAGS = False\nTAG_HASH_FILENAMES = True\n`,
  );
  await Deno.writeTextFile(`${root}/conf/storage-schemas.conf`, schemas);
  const child = new Deno.Command(PYTHON, {
    args: [CARBON_CACHE, `--config=${root}/conf/carbon.conf`, "--debug", "start"],
    cwd: root,
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitFor(
      async () => {
        try {
          (await Deno.connect({ hostname: "127.0.0.1", port: linePort })).close();
          return true;
        } catch {
          return false;
        }
      },
      "carbon-cache to listen",
    );
    await fn(linePort, `${root}/data`);
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}

/** Every file under `dir`, relative to it, sorted. */
export async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory) out.push(...await listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}
