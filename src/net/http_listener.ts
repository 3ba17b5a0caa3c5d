// Deno.serve() for the HTTP listeners (carbonserver, http-ingest, prometheus), made to survive
// running out of descriptors: Deno's serve loop ends when an accept fails (EMFILE) and its
// `finished` promise rejects, which would end the process. Here the failure is counted and
// logged, and the same address is served again after a pause (issue 9).

import { Logger, RateLimiter } from "../log/logger.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import { ACCEPT_RETRY_MS } from "./stream_server.ts";
import { listenOn } from "./listen.ts";

const log = new Logger("http");

/** Options of serveHttp(): Deno.serve()'s, without the address. */
export type HttpServeOptions = Omit<Deno.ServeTcpOptions, "hostname" | "port" | "transport">;

/**
 * Serves `listen` (the value of the config key `key`, e.g. `carbonserver.listen`): an
 * HttpListener on the parsed address, a bind failure named by the key (listenOn()).
 */
export function listenHttp(
  listen: string,
  key: string,
  options: HttpServeOptions & { handler: Deno.ServeHandler<Deno.NetAddr> },
): HttpListener {
  return listenOn(listen, key, (where) => new HttpListener(key, where, options));
}

/** An onError for Deno.serve(): the failure logged on `log`, a 500 answered. */
export function answerInternalError(log: Logger): (err: unknown) => Response {
  return (err) => {
    log.error("request failed", { err });
    return new Response("internal error\n", { status: 500 });
  };
}

/** A Deno.serve() server that comes back after its accept loop failed. */
export class HttpListener implements StatSource {
  #key: string;
  #options: HttpServeOptions;
  #handler: Deno.ServeHandler<Deno.NetAddr>;
  #server: Deno.HttpServer<Deno.NetAddr>;
  #addr: Deno.NetAddr;
  #stopped = false;
  #retry?: ReturnType<typeof setTimeout>;
  #logLimit = new RateLimiter(10, 60_000);
  /** Times the serve loop failed (EMFILE, ENFILE, ...) and was started again. */
  acceptErrors = 0;

  /** Binds `where` now (throws as Deno.serve() does). */
  constructor(
    key: string,
    where: { hostname: string; port: number },
    options: HttpServeOptions & { handler: Deno.ServeHandler<Deno.NetAddr> },
  ) {
    this.#key = key;
    const { handler, ...rest } = options;
    this.#options = rest;
    this.#handler = handler;
    this.#server = this.#serve(where);
    this.#addr = this.#server.addr;
  }

  /** The bound address. */
  get addr(): Deno.NetAddr {
    return this.#addr;
  }

  #serve(where: { hostname: string; port: number }): Deno.HttpServer<Deno.NetAddr> {
    const server = Deno.serve({ onListen: () => {}, ...this.#options, ...where }, this.#handler);
    server.finished.catch((err) => this.#failed(err));
    return server;
  }

  #failed(err: unknown): void {
    if (this.#stopped) return;
    this.acceptErrors++;
    const suppressed = this.#logLimit.allow();
    if (suppressed >= 0) {
      log.warn("HTTP listener failed, serving again", {
        listener: this.#key,
        err,
        retryMs: ACCEPT_RETRY_MS,
        suppressed,
      });
    }
    this.#retry = setTimeout(() => this.#again(), ACCEPT_RETRY_MS);
  }

  #again(): void {
    if (this.#stopped) return;
    try {
      this.#server = this.#serve({ hostname: this.#addr.hostname, port: this.#addr.port });
    } catch (err) {
      this.#failed(err); // still out of descriptors: count it and wait again
    }
  }

  /** Stops serving (as Deno.HttpServer.shutdown()). */
  async shutdown(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    await this.#server.shutdown();
    await this.#server.finished.catch(() => {});
  }

  stat(send: StatSend): void {
    send({
      name: "carbonado_http_accept_errors_total",
      help: "Times an HTTP listener's accept failed (EMFILE, ...) and it was served again.",
      type: "counter",
      value: this.acceptErrors,
      labels: { listener: this.#key },
      carbon: `${this.#key.replace(/\.listen$/, "")}.acceptErrors`,
    });
  }
}
