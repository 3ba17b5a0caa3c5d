// Wiring: builds every component from the config, and holds the start order and the stop order
// in one readable place.

import type { Config } from "./config/config.ts";
import { CarbonlinkServer } from "./api/carbonlink.ts";
import { CarbonServer } from "./api/carbonserver.ts";
import { MetricStore } from "./api/metric_store.ts";
import { CacheStats } from "./cache/cache_stats.ts";
import { cacheMemoryLimit } from "./cache/memory_limit.ts";
import { CacheNames } from "./index/cache_names.ts";
import { DiskIndex } from "./index/disk_scan.ts";
import type { GlobOptions } from "./index/glob.ts";
import { Logger } from "./log/logger.ts";
import { type AlignedInterval, alignedInterval } from "./clock/aligned_interval.ts";
import { Persister, readRuleFiles } from "./persister/persister.ts";
import { isRelayOnly, preflight } from "./config/preflight.ts";
import type { RuleFiles } from "./persister/write_batch.ts";
import { parseRules } from "./persister/whisper_writer.ts";
import { PickleReceiver } from "./receiver/pickle.ts";
import { TcpReceiver } from "./receiver/tcp.ts";
import { UdpReceiver } from "./receiver/udp.ts";
import { RemoteWrite, STOP_GRACE_MS } from "./remote/remote_write.ts";
import { InfluxLines, OPENTSDB_LINES } from "./receiver/line_format.ts";
import { HttpIngestServer } from "./http_ingest/server.ts";
import { PrometheusServer } from "./stats/prometheus.ts";
import type { StatSource } from "./stats/sample.ts";
import { SelfMetrics } from "./stats/self_metrics.ts";
import { ProcessMemory } from "./stats/process_memory.ts";
import { Head, type HeadWal } from "./appender/head.ts";
import type { Appendable } from "./appender/appender.ts";
import { Relay } from "./relay/relay.ts";
import { TeeAppendable } from "./relay/tee.ts";
import { loadAssets } from "./ui/assets.ts";
import { UiServer } from "./ui/ui_server.ts";
import { isTagged, TagDb } from "./tags/tag_db.ts";
import { TagDbSender } from "./tags/tagdb_sender.ts";
import { tagFileName, taggedNameOfFile } from "./storage/metric_path.ts";
import type { Scraper } from "./scrape/scraper.ts";
import { VERSION } from "./cli.ts";
import { ConnectionBudget } from "./net/descriptors.ts";

const log = new Logger("app");

/** `[cache] max-size = 0`: the wasm cache's u32 point limit at its largest (64 GiB of points). */
const NO_POINT_LIMIT = 0xffff_ffff;

/** A receiver: listens, reports, stops. */
interface Receiver extends StatSource {
  start(): void;
  stop(): Promise<void>;
  readonly addr: Deno.NetAddr;
}

/** The running daemon. */
export class App {
  readonly config: Config;
  /** The cache: appenders for the producers, the drain for the persister and queries. */
  readonly head: Head;
  /** Listeners by name, in start order. */
  readonly receivers = new Map<string, Receiver>();
  readonly persister?: Persister;
  /** Metric names on disk: the persister's "does the file exist" and, later, find. */
  readonly index?: DiskIndex;
  readonly prometheus?: PrometheusServer;
  readonly carbonserver?: CarbonServer;
  /** Own metrics as series; absent on a relay-only node whose metric-endpoint is "local". */
  readonly selfMetrics?: SelfMetrics;
  /** Relay mode: routing, destination queues and senders (`[relay] enabled`). */
  readonly relay?: Relay;
  /** The write-ahead log and its replay, when `[wal] enabled`. */
  readonly wal?: HeadWal;
  /** Names and values for the query side: files and cache together. */
  readonly store: MetricStore;
  readonly stats: StatSource[] = [];
  /** Tagged series: graphite-web's TagDB API on the carbonserver listener. */
  readonly tags: TagDb;
  /** `[tags] enabled`: posts new tagged series to an external TagDB. */
  readonly tagdbSender?: TagDbSender;
  /** With a sender: new tagged series in the cache are taken in every second, not only at queries. */
  #tagSync?: AlignedInterval;
  /** The stream listeners' share of the process's descriptors (src/net/descriptors.ts). */
  #budget = new ConnectionBudget();
  /** Every warning given at start (config keys ignored, ...), shown on the status page. */
  readonly warnings: string[];
  /** The status page and metric browser, on the carbonserver listener. */
  readonly ui?: UiServer;
  /** [[remote-write]] senders, fed from the WAL by a worker thread. */
  readonly remoteWrite?: RemoteWrite;
  /** `[scrape] enabled`: Prometheus targets scraped into the cache. */
  readonly scraper?: Scraper;

  private constructor(
    config: Config,
    head: Head,
    rules: RuleFiles,
    opts: {
      hostname: string;
      warnings: readonly string[];
      wal?: HeadWal;
      relay?: Relay;
      scraper?: typeof Scraper;
      /** The cache's memory ceiling in force (`[cache] max-memory` or its default). */
      maxMemoryBytes: number;
    },
  ) {
    this.config = config;
    this.head = head;
    this.wal = opts.wal;
    this.relay = opts.relay;
    // what the receivers feed: the cache, the relay, or both (`[relay] local`)
    const relayOnly = isRelayOnly(config);
    let ingest: Appendable = head;
    if (opts.relay) ingest = relayOnly ? opts.relay : new TeeAppendable(head, opts.relay);
    this.warnings = [...opts.warnings];
    const wal = opts.wal;
    const cache = head.drain;
    this.stats.push(new CacheStats(cache, config.cache.maxSize, opts.maxMemoryBytes));
    this.stats.push(new ProcessMemory());
    if (wal) this.stats.push(wal.wal, wal.replay);
    if (wal && config.remoteWrite.length > 0) {
      this.remoteWrite = new RemoteWrite({
        remotes: config.remoteWrite,
        wal: wal.wal,
        logging: config.logging,
      });
      this.stats.push(this.remoteWrite);
    }
    if (opts.relay) this.stats.push(opts.relay);
    const glob: GlobOptions = {
      maxGlobs: config.carbonserver.maxGlobs,
      failOnMaxGlobs: config.carbonserver.failOnMaxGlobs,
    };
    const whisper = config.whisper.enabled && !relayOnly;
    const hashFilenames = config.whisper.hashFilenames;
    if (config.tags.enabled && !relayOnly) { // the cluster's members tell their TagDB
      this.tagdbSender = new TagDbSender({
        ...config.tags,
        maxQueueBytes: config.tags.maxQueueSize,
      });
      this.stats.push(this.tagdbSender);
    }
    const sender = this.tagdbSender;
    this.tags = new TagDb({
      dataDir: whisper ? config.whisper.dataDir : null,
      onNew: sender && ((name) => sender.add(name, true)),
    });
    this.stats.push(this.tags);
    const tags = this.tags;
    let literalTagged = false;
    if (whisper) {
      this.index = new DiskIndex(config.whisper.dataDir, {
        scanIntervalMs: config.carbonserver.scanFrequency,
        glob,
        skipTagged: false,
        onScanned: (name) => {
          const tagged = taggedNameOfFile(name);
          if (tagged !== null) tags.seen(tagged);
          else if (!literalTagged && isTagged(name) && !name.startsWith("_tagged.")) {
            literalTagged = true;
            log.warn("series stored under a literal tagged path: run --migrate-tagged", {
              name,
              dataDir: config.whisper.dataDir,
            });
          }
        },
        onRescanned: () => this.persister?.recheckFailed(),
      });
      this.stats.push(this.index);
    }
    const cacheNames = new CacheNames(cache, this.index, glob, (name) => tags.seen(name));
    this.store = new MetricStore(cache, cacheNames, this.index, parseRules(rules), {
      dataDir: whisper ? config.whisper.dataDir : null,
      glob,
      hashFilenames,
      tags,
    });
    this.stats.push(this.store);
    const budget = this.#budget;
    this.stats.push(budget);
    if (config.tcp.enabled) {
      this.#receiver("tcp", new TcpReceiver(ingest, { ...config.tcp, budget }));
    }
    if (config.udp.enabled) this.#receiver("udp", new UdpReceiver(ingest, config.udp));
    if (config.pickle.enabled) {
      this.#receiver("pickle", new PickleReceiver(ingest, { ...config.pickle, budget }));
    }
    this.#otherProtocols(config, ingest);
    if (config.carbonlink.enabled && !relayOnly) {
      this.#receiver(
        "carbonlink",
        new CarbonlinkServer(this.store, {
          ...config.carbonlink,
          budget,
          dataDir: whisper ? config.whisper.dataDir : null,
          hashFilenames: config.whisper.hashFilenames,
        }),
      );
    }
    if (this.index) {
      const index = this.index;
      this.persister = new Persister(cache, {
        ...config.whisper,
        maxCreatesPerSecond: config.carbonserver.maxCreatesPerSecond,
        hashFilenames,
        rules,
        strategy: config.cache.writeStrategy,
        files: {
          get ready() {
            return index.ready;
          },
          has: (name) => isTagged(name) ? tags.index.has(name) : index.has(name),
          add: (name) => {
            if (isTagged(name)) {
              // listed under _tagged/ as go-carbon lists it; named in the tag database
              index.add(tagFileName(name, hashFilenames));
              tags.fileCreated(name);
              return;
            }
            index.add(name);
            cacheNames.persisted(name);
          },
          updated: sender && ((name) => sender.add(name, false)),
        },
      });
      this.stats.push(this.persister);
    }
    if (opts.scraper) {
      if (config.scrape.configFile === "") {
        throw new RangeError(
          'Invalid scrape.config-file: "" (scrape.enabled needs a Prometheus configuration file)',
        );
      }
      // scraped samples go where received points go: the cache, the relay, or both
      this.scraper = new opts.scraper({
        ...config.scrape,
        hostname: opts.hostname,
        userAgent: `carbonado/${VERSION}`,
      }, { appender: () => ingest.appender(), scrapeCache: () => head.scrapeCache() });
      for (const warning of this.scraper.warnings) log.warn(warning);
      this.warnings.push(...this.scraper.warnings);
      this.stats.push(this.scraper);
    }
    if (config.carbonserver.enabled) {
      const assets = loadAssets();
      for (const warning of assets.warnings) log.warn(warning);
      this.warnings.push(...assets.warnings);
      const scraper = this.scraper;
      const ui = this.ui = new UiServer({
        config,
        warnings: this.warnings,
        sources: this.stats,
        store: this.store,
        files: assets.files,
        hostname: opts.hostname,
      });
      this.carbonserver = new CarbonServer(this.store, {
        ...config.carbonserver,
        queries: !relayOnly, // a relay-only node serves the status page alone
        timeouts: config.carbonserver,
        ui: (req, url) => scraper?.handle(req, url) ?? ui.handle(req, url),
      });
      this.stats.push(this.carbonserver, ui);
    }
    if (config.prometheus.enabled) {
      this.prometheus = new PrometheusServer(config.prometheus, this.stats);
    }
    // own metrics go to the destinations only when metric-endpoint says so: a relay-only node
    // has no cache to keep them in, and shows them on /metrics and the status page
    if (!relayOnly || config.common.metricEndpoint !== "local") {
      this.selfMetrics = new SelfMetrics(
        {
          graphPrefix: config.common.graphPrefix,
          interval: config.common.metricInterval,
          endpoint: config.common.metricEndpoint,
          hostname: opts.hostname,
        },
        this.stats,
        head,
      );
    }
  }

  /** Influx (TCP and UDP), OpenTSDB telnet and the HTTP ingest listener. */
  #otherProtocols(config: Config, ingest: Appendable): void {
    const influx = {
      separator: config.influx.measurementFieldSeparator,
      dbTag: config.influx.dbTag,
      maxLineLen: config.influx.maxLineSize,
    };
    checkInfluxOptions(influx);
    if (config.influx.enabled) {
      const tcp = new TcpReceiver(ingest, {
        ...config.influx,
        budget: this.#budget,
        section: "influx",
        format: new InfluxLines(influx),
      });
      this.#receiver("influx", tcp);
      const udp = new UdpReceiver(ingest, {
        ...config.influx,
        section: "influx",
        protocol: "influx_udp",
        format: new InfluxLines(influx),
      });
      this.#receiver("influx_udp", udp);
    }
    if (config.opentsdb.enabled) {
      this.#receiver(
        "opentsdb",
        new TcpReceiver(ingest, {
          ...config.opentsdb,
          budget: this.#budget,
          section: "opentsdb",
          format: OPENTSDB_LINES,
        }),
      );
    }
    const http = config["http-ingest"];
    if (http.enabled) {
      this.#receiver("http-ingest", new HttpIngestServer(ingest, { ...http, influx }));
    }
  }

  #receiver(name: string, receiver: Receiver): void {
    this.receivers.set(name, receiver);
    this.stats.push(receiver);
  }

  /**
   * Loads the wasm cache and builds the components (nothing listens yet). `warnings` are those
   * already given (by the config loader), kept for the status page. Throws on a bad
   * storage-schemas.conf or storage-aggregation.conf.
   */
  static async create(
    config: Config,
    opts: { hostname?: string; warnings?: readonly string[] } = {},
  ): Promise<App> {
    const { rules } = preflight(config); // nothing written yet: a bad path fails here
    const memory = await cacheMemoryLimit(config.cache.maxMemory);
    log.info("cache limits", {
      maxSize: config.cache.maxSize === 0 ? "none" : config.cache.maxSize,
      maxMemoryBytes: memory.bytes,
      maxMemoryFrom: memory.source,
    });
    const head = await Head.load({
      maxPoints: config.cache.maxSize === 0 ? NO_POINT_LIMIT : config.cache.maxSize,
      maxMemoryBytes: memory.bytes,
      maxLineLen: config.tcp.maxLineSize,
    });
    let wal: HeadWal | undefined;
    if (config.wal.enabled && !isRelayOnly(config)) {
      wal = head.openWal(config.wal); // replays before any receiver exists
    }
    let relay: Relay | undefined;
    if (config.relay.enabled) {
      relay = await Relay.create({ ...config.relay, maxLineLen: config.tcp.maxLineSize });
    }
    // loaded only when enabled: the scraper's YAML package alone is 14 MB of resident memory
    const scraper = config.scrape.enabled
      ? (await import("./scrape/scraper.ts")).Scraper
      : undefined;
    return new App(config, head, rules, {
      hostname: opts.hostname ?? Deno.hostname(),
      scraper,
      warnings: opts.warnings ?? [],
      wal,
      relay,
      maxMemoryBytes: memory.bytes,
    });
  }

  /** Starts writing and listening; returns every listener's bound address by name. */
  start(): Record<string, string> {
    this.head.start();
    this.remoteWrite?.start();
    if (this.tagdbSender) {
      this.tagdbSender.start();
      this.#tagSync = alignedInterval(() => this.store.tagDb(), 1000);
    }
    this.tags.start();
    this.index?.start();
    this.persister?.start();
    this.prometheus?.start();
    this.carbonserver?.start();
    this.relay?.start();
    for (const receiver of this.receivers.values()) receiver.start();
    this.scraper?.start();
    this.selfMetrics?.start();
    const listeners: Record<string, string> = {};
    for (const [name, receiver] of this.receivers) listeners[name] = formatAddr(receiver.addr);
    if (this.carbonserver) listeners.carbonserver = formatAddr(this.carbonserver.addr);
    if (this.prometheus) listeners.prometheus = formatAddr(this.prometheus.addr);
    log.info("started", {
      listeners,
      // from /proc/self/limits when Deno allows it (--allow-all); else learned at EMFILE
      openFileLimit: this.#budget.fdLimit ?? "unreadable",
      maxConnections: this.#budget.fdLimit === undefined ? "until EMFILE" : this.#budget.max,
      dataDir: this.index ? this.config.whisper.dataDir : null,
      relay: this.relay ? this.relay.destinations.map((d) => d.address) : undefined,
    });
    return listeners;
  }

  /**
   * SIGHUP: re-reads storage-schemas.conf and storage-aggregation.conf, and the scrape
   * configuration; a bad file is logged and what is in use is kept. Series the persister gave
   * up on are re-checked.
   */
  reload(): void {
    this.scraper?.reload();
    this.persister?.recheckFailed();
    let rules: RuleFiles;
    try {
      rules = readRuleFiles(this.config.whisper.schemasFile, this.config.whisper.aggregationFile);
    } catch (err) {
      log.error("keeping the storage rules in use: cannot reload", { err });
      return;
    }
    this.persister?.setRules(rules);
    this.store.setRules(parseRules(rules));
    log.info("storage rules reloaded", {
      schemas: this.config.whisper.schemasFile || "(defaults)",
      aggregation: this.config.whisper.aggregationFile || "(defaults)",
    });
  }

  /**
   * Stops accepting and closes connections, writes the whole cache to Whisper within
   * `[common] shutdown-timeout` (unless `[wal] flush-on-stop = false`), stops the writers,
   * checkpoints and closes the log, then the HTTP listeners.
   */
  async stop(): Promise<void> {
    await Promise.all([
      ...[...this.receivers.values()].map((r) => r.stop()),
      this.scraper?.stop(),
    ]);
    await this.selfMetrics?.stop();
    // every destination that is up gets its queue; the rest stays on disk for the next start
    await this.relay?.stop(this.config.common.shutdownTimeout);
    const flush = !this.wal || this.config.wal.flushOnStop;
    if (this.persister && !flush) await this.persister.stop();
    if (this.persister && flush) {
      const flushed = await this.persister.flush(this.config.common.shutdownTimeout);
      if (!flushed) {
        const c = this.head.drain.counters();
        log.error("shutdown-timeout reached: points not written", {
          points: c.cachedPoints + c.notConfirmed,
        });
      }
      await this.persister.stop();
    }
    // remotes that answer get what the log holds while the cache was written out; then their
    // state is persisted (a remote that is down keeps its backlog in the log)
    await this.remoteWrite?.stop(Math.min(STOP_GRACE_MS, this.config.common.shutdownTimeout));
    // a checkpoint when the cache was written out, or when the next start is to replay it
    this.head.closeWal(!flush);
    await this.index?.stop();
    this.tags.stop();
    this.#tagSync?.stop();
    await this.tagdbSender?.stop();
    await this.carbonserver?.stop();
    await this.prometheus?.stop();
    this.head.stop();
    log.info("stopped", { cache: this.head.drain.counters() });
  }
}

/** The Influx options fit the module's bounds (assembly/influx.ts), or the start fails. */
function checkInfluxOptions(opts: { separator: string; dbTag: string }): void {
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  if (bytes(opts.separator) > 16) {
    throw new RangeError(
      `Invalid influx.measurement-field-separator: "${opts.separator}" is longer than 16 bytes`,
    );
  }
  if (bytes(opts.dbTag) > 128) {
    throw new RangeError(`Invalid influx.db-tag: "${opts.dbTag}" is longer than 128 bytes`);
  }
}

function formatAddr(a: Deno.NetAddr): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}
