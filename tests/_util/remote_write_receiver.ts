// A remote_write receiver for tests, on 127.0.0.1 port 0: decodes every request strictly
// (snappy block, WriteRequest, the 1.0 rules: four headers, labels sorted and unique, samples of
// a series in time order), keeps what it accepted, and answers what the test scripts (503, 429
// with Retry-After, 400, a stall) so that the sender's retry and drop rules can be checked.

import { type DecodedSeries, decodeWriteRequest, snappyDecode } from "./remote_write_decode.ts";

/** One request as received. */
export interface ReceivedRequest {
  headers: Headers;
  /** The compressed body, as sent. */
  body: Uint8Array;
  series: DecodedSeries[];
  /** What the receiver answered. */
  status: number;
}

/** What the receiver answers a request with; undefined: 204 and the samples are kept. */
export type Script = (req: ReceivedRequest, n: number) =>
  | { status: number; headers?: Record<string, string>; body?: string }
  | undefined;

/** A strict remote_write receiver keeping the samples it accepted. */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Accepted samples by series (labels as `k=v,k=v`), in arrival order. */
  readonly samples = new Map<string, { t: number; v: number }[]>();
  /** Protocol violations seen (each one fails the test that checks). */
  readonly violations: string[] = [];
  script: Script = () => undefined;
  #server: Deno.HttpServer<Deno.NetAddr>;

  constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.#handle(req),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}/api/v1/write`;
  }

  /** Samples accepted in all. */
  get accepted(): number {
    let n = 0;
    for (const list of this.samples.values()) n += list.length;
    return n;
  }

  async close(): Promise<void> {
    await this.#server.shutdown();
  }

  async #handle(req: Request): Promise<Response> {
    const body = new Uint8Array(await req.arrayBuffer());
    const received: ReceivedRequest = { headers: req.headers, body, series: [], status: 0 };
    try {
      this.#checkHeaders(req.headers);
      received.series = decodeWriteRequest(snappyDecode(body));
      this.#checkSeries(received.series);
    } catch (err) {
      this.violations.push(`undecodable request: ${(err as Error).message}`);
      received.status = 400;
      this.requests.push(received);
      return new Response("bad request", { status: 400 });
    }
    const answer = this.script(received, this.requests.length);
    this.requests.push(received);
    if (answer) {
      received.status = answer.status;
      return new Response(answer.body ?? `status ${answer.status}`, {
        status: answer.status,
        headers: answer.headers,
      });
    }
    received.status = 204;
    for (const s of received.series) {
      const key = s.labels.map(([k, v]) => `${k}=${v}`).join(",");
      let list = this.samples.get(key);
      if (!list) this.samples.set(key, list = []);
      list.push(...s.samples.map((x) => ({ t: x.t, v: x.value })));
    }
    return new Response(null, { status: 204 });
  }

  #checkHeaders(h: Headers): void {
    const want: [string, string | RegExp][] = [
      ["content-encoding", "snappy"],
      ["content-type", "application/x-protobuf"],
      ["x-prometheus-remote-write-version", "0.1.0"],
      ["user-agent", /\S/],
    ];
    for (const [name, value] of want) {
      const got = h.get(name);
      const ok = got !== null && (typeof value === "string" ? got === value : value.test(got));
      if (!ok) this.violations.push(`header ${name}: ${got}`);
    }
  }

  #checkSeries(series: DecodedSeries[]): void {
    for (const s of series) {
      for (let i = 0; i < s.labels.length; i++) {
        const [k, v] = s.labels[i];
        if (k === "" || v === "") {
          this.violations.push(`empty label in ${JSON.stringify(s.labels)}`);
        }
        if (i > 0 && !(s.labels[i - 1][0] < k)) {
          this.violations.push(`labels not sorted or unique: ${JSON.stringify(s.labels)}`);
        }
      }
      for (let i = 1; i < s.samples.length; i++) {
        if (s.samples[i].t <= s.samples[i - 1].t) {
          this.violations.push(`samples out of order in ${JSON.stringify(s.labels)}`);
        }
      }
    }
  }
}
