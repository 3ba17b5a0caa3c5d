// Wiring: builds every component from the config, and holds the start order and the stop order
// in one readable place.

import type { Config } from "./config/config.ts";
import { CacheStats } from "./cache/cache_stats.ts";
import { DiskIndex } from "./index/disk_scan.ts";
import { Logger } from "./log/logger.ts";
import { Persister } from "./persister/persister.ts";
import { PickleReceiver } from "./receiver/pickle.ts";
import { TcpReceiver } from "./receiver/tcp.ts";
import { UdpReceiver } from "./receiver/udp.ts";
import { PrometheusServer } from "./stats/prometheus.ts";
import type { StatSource } from "./stats/sample.ts";
import { SelfMetrics } from "./stats/self_metrics.ts";
import { WasmCache } from "./wasm/wasm_cache.ts";

const log = new Logger("app");

/** A receiver: listens, reports, stops. */
interface Receiver extends StatSource {
  start(): void;
  stop(): Promise<void>;
  readonly addr: Deno.NetAddr;
}

/** The running daemon. */
export class App {
  readonly config: Config;
  readonly cache: WasmCache;
  /** Listeners by name, in start order. */
  readonly receivers = new Map<string, Receiver>();
  readonly persister?: Persister;
  /** Metric names on disk: the persister's "does the file exist" and, later, find. */
  readonly index?: DiskIndex;
  readonly prometheus?: PrometheusServer;
  readonly selfMetrics: SelfMetrics;
  readonly stats: StatSource[] = [];

  private constructor(config: Config, cache: WasmCache, hostname: string) {
    this.config = config;
    this.cache = cache;
    this.stats.push(new CacheStats(cache, config.cache.maxSize));
    if (config.tcp.enabled) this.#receiver("tcp", new TcpReceiver(cache, config.tcp));
    if (config.udp.enabled) this.#receiver("udp", new UdpReceiver(cache, config.udp));
    if (config.pickle.enabled) this.#receiver("pickle", new PickleReceiver(cache, config.pickle));
    if (config.whisper.enabled) {
      this.index = new DiskIndex(config.whisper.dataDir, {
        glob: {
          maxGlobs: config.carbonserver.maxGlobs,
          failOnMaxGlobs: config.carbonserver.failOnMaxGlobs,
        },
      });
      this.persister = new Persister(cache, {
        ...config.whisper,
        strategy: config.cache.writeStrategy,
        files: this.index,
      });
      this.stats.push(this.persister);
    }
    if (config.prometheus.enabled) {
      this.prometheus = new PrometheusServer(config.prometheus, this.stats);
    }
    this.selfMetrics = new SelfMetrics(
      {
        graphPrefix: config.common.graphPrefix,
        interval: config.common.metricInterval,
        endpoint: config.common.metricEndpoint,
        hostname,
      },
      this.stats,
      cache,
    );
  }

  #receiver(name: string, receiver: Receiver): void {
    this.receivers.set(name, receiver);
    this.stats.push(receiver);
  }

  /**
   * Loads the wasm cache and builds the components (nothing listens yet). Throws on a bad
   * storage-schemas.conf or storage-aggregation.conf.
   */
  static async create(config: Config, hostname = Deno.hostname()): Promise<App> {
    const cache = await WasmCache.load({
      maxPoints: config.cache.maxSize,
      maxLineLen: config.tcp.maxLineSize,
    });
    return new App(config, cache, hostname);
  }

  /** Starts writing and listening; returns every listener's bound address by name. */
  start(): Record<string, string> {
    this.index?.start();
    this.persister?.start();
    this.prometheus?.start();
    for (const receiver of this.receivers.values()) receiver.start();
    this.selfMetrics.start();
    const listeners: Record<string, string> = {};
    for (const [name, receiver] of this.receivers) listeners[name] = formatAddr(receiver.addr);
    if (this.prometheus) listeners.prometheus = formatAddr(this.prometheus.addr);
    log.info("started", {
      listeners,
      dataDir: this.config.whisper.enabled ? this.config.whisper.dataDir : null,
    });
    return listeners;
  }

  /** SIGHUP: re-reads storage-schemas.conf and storage-aggregation.conf. */
  reload(): void {
    this.persister?.reloadRules();
  }

  /**
   * Stops accepting and closes connections, writes the whole cache to Whisper within
   * `[common] shutdown-timeout`, stops the writers, then the HTTP listener.
   */
  async stop(): Promise<void> {
    await Promise.all([...this.receivers.values()].map((r) => r.stop()));
    await this.selfMetrics.stop();
    if (this.persister) {
      const flushed = await this.persister.flush(this.config.common.shutdownTimeout);
      if (!flushed) {
        const c = this.cache.counters();
        log.error("shutdown-timeout reached: points not written", {
          points: c.cachedPoints + c.notConfirmed,
        });
      }
      await this.persister.stop();
    }
    await this.index?.stop();
    await this.prometheus?.stop();
    log.info("stopped", { cache: this.cache.counters() });
  }
}

function formatAddr(a: Deno.NetAddr): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}
