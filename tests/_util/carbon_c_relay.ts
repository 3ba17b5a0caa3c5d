// Debian's carbon-c-relay 3.7 as a live relay for tests and benchmarks: one cluster of the given
// members, every metric sent to it, listening on a free loopback port (never `relay -t`, whose
// test mode hashes differently from the running relay).

import { freePort, waitFor } from "./net.ts";
import { TOOLS } from "./requires.ts";

/** Where Debian installs it. */
export const CARBON_C_RELAY = TOOLS["carbon-c-relay"].path;

/** A running carbon-c-relay. */
export interface CarbonCRelay {
  port: number;
  pid: number;
  /** SIGTERM, wait, remove its directory. */
  stop(): Promise<void>;
}

/**
 * Starts carbon-c-relay with `cluster c <method> replication <n> <members>; match * send to c;`,
 * in submission mode (`-s`: no statistics of its own in the stream), plus `args`; resolves once
 * it accepts connections.
 */
export async function startCarbonCRelay(opts: {
  method: string;
  replication: number;
  members: readonly string[];
  args?: string[];
}): Promise<CarbonCRelay> {
  const dir = await Deno.makeTempDir({ prefix: "carbon-c-relay-" });
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/relay.conf`,
    `listen type linemode 127.0.0.1:${port} proto tcp ;\n` +
      `cluster c ${opts.method} replication ${opts.replication}\n` +
      opts.members.map((m) => `  ${m}\n`).join("") + ";\nmatch * send to c;\n",
  );
  const child = new Deno.Command(CARBON_C_RELAY, {
    args: ["-f", `${dir}/relay.conf`, "-s", "-l", `${dir}/relay.log`, ...(opts.args ?? [])],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  };
  try {
    await waitFor(
      async () => {
        try {
          (await Deno.connect({ hostname: "127.0.0.1", port })).close();
          return true;
        } catch {
          return false;
        }
      },
      "carbon-c-relay to listen",
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, pid: child.pid, stop };
}
