// Wiring: builds every component from the config, and holds the start order and the stop order
// in one readable place.

import type { Config } from "./config/config.ts";
import { CacheStats } from "./cache/cache_stats.ts";
import { DiskIndex } from "./index/disk_scan.ts";
import { Logger } from "./log/logger.ts";
import { Persister } from "./persister/persister.ts";
import { TcpReceiver } from "./receiver/tcp.ts";
import { PrometheusServer } from "./stats/prometheus.ts";
import type { StatSource } from "./stats/sample.ts";
import { WasmCache } from "./wasm/wasm_cache.ts";

const log = new Logger("app");

/** The running daemon. */
export class App {
  readonly config: Config;
  readonly cache: WasmCache;
  readonly tcp?: TcpReceiver;
  readonly persister?: Persister;
  /** Metric names on disk: the persister's "does the file exist" and, later, find. */
  readonly index?: DiskIndex;
  readonly prometheus?: PrometheusServer;
  readonly stats: StatSource[] = [];

  private constructor(config: Config, cache: WasmCache) {
    this.config = config;
    this.cache = cache;
    this.stats.push(new CacheStats(cache, config.cache.maxSize));
    if (config.tcp.enabled) {
      this.tcp = new TcpReceiver(cache, {
        listen: config.tcp.listen,
        readTimeout: config.tcp.readTimeout,
      });
      this.stats.push(this.tcp);
    }
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
  }

  /** Loads the wasm cache and builds the components (nothing listens yet). */
  static async create(config: Config): Promise<App> {
    const cache = await WasmCache.load({
      maxPoints: config.cache.maxSize,
      maxLineLen: config.tcp.maxLineSize,
    });
    return new App(config, cache);
  }

  /** Starts writing and listening; returns every listener's bound address by name. */
  start(): Record<string, string> {
    this.index?.start();
    this.persister?.start();
    this.prometheus?.start();
    this.tcp?.start();
    const listeners: Record<string, string> = {};
    if (this.tcp) listeners.tcp = formatAddr(this.tcp.addr);
    if (this.prometheus) listeners.prometheus = formatAddr(this.prometheus.addr);
    log.info("started", { listeners });
    return listeners;
  }

  /**
   * Stops accepting and closes connections, writes the whole cache to Whisper within
   * `[common] shutdown-timeout`, stops the writers, then the HTTP listener.
   */
  async stop(): Promise<void> {
    await this.tcp?.stop();
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
