// Where a job's targets come from: its static_configs, and the files of its file_sd_configs
// (discovery/file in Prometheus). A file_sd file is a JSON (`.json`) or YAML list of
// `{targets, labels}`; each group also gets `__meta_filepath`. Changes are found by polling:
// every FILE_SD_POLL_MS (or the refresh_interval when shorter) the paths are listed again and
// each file's mtime, size and inode compared with what was read, and every refresh_interval all
// files are read again whatever their stat says (Prometheus' fsnotify plus refresh_interval; a
// poll also sees files replaced by rename, which editors and config tools do). A file that
// cannot be read or parsed keeps the groups last read from it, counted and logged.

import { Logger } from "../log/logger.ts";
import { type FileSdConfig, parseTargetGroups, type TargetGroup } from "./prom_config.ts";

const log = new Logger("scrape");

/** How often file_sd paths and files are looked at for changes. */
export const FILE_SD_POLL_MS = 5000;

/** A discovered group and where it came from (its `__meta_filepath`, or "static"). */
export interface SourcedGroup extends TargetGroup {
  source: string;
}

interface FileState {
  stamp: string;
  groups: TargetGroup[];
}

/** The file_sd_configs of one job, polled; `onChange` runs when a file's groups changed. */
export class FileDiscovery {
  #configs: readonly FileSdConfig[];
  #onChange: () => void;
  #files = new Map<string, FileState>();
  #timer?: ReturnType<typeof setTimeout>;
  #lastFull = 0;
  #stopped = false;
  /** Files that could not be read or parsed (Prometheus' prometheus_sd_file_read_errors_total). */
  readErrors = 0;

  constructor(configs: readonly FileSdConfig[], onChange: () => void) {
    this.#configs = configs;
    this.#onChange = onChange;
  }

  /** Reads every file once (synchronously: targets exist right after start), then polls. */
  start(): void {
    this.poll(true);
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    const refresh = Math.min(...this.#configs.map((c) => c.refreshInterval));
    this.#timer = setTimeout(() => {
      const full = Date.now() - this.#lastFull >= refresh;
      if (this.poll(full)) this.#onChange();
      this.#schedule();
    }, Math.min(FILE_SD_POLL_MS, refresh));
  }

  /** Looks for changes now (`full`: re-reads every file); true when some groups changed. */
  poll(full = false): boolean {
    if (full) this.#lastFull = Date.now();
    const seen = new Set<string>();
    let changed = false;
    for (const config of this.#configs) {
      for (const file of expandPaths(config.files)) {
        if (seen.has(file)) continue;
        let stat: Deno.FileInfo;
        try {
          stat = Deno.statSync(file);
        } catch {
          continue; // gone (or not there yet): its targets are dropped below
        }
        seen.add(file);
        const stamp = `${stat.mtime?.getTime()}:${stat.size}:${stat.ino}`;
        const known = this.#files.get(file);
        if (known && known.stamp === stamp && !full) continue;
        const groups = this.#read(file);
        if (groups === null) {
          // keep what was read before; try again when the file changes (or at a full refresh)
          this.#files.set(file, { stamp, groups: known?.groups ?? [] });
          continue;
        }
        if (
          !known || JSON.stringify(groupsKey(known.groups)) !== JSON.stringify(groupsKey(groups))
        ) {
          changed = true;
        }
        this.#files.set(file, { stamp, groups });
      }
    }
    for (const file of [...this.#files.keys()]) {
      if (!seen.has(file)) {
        this.#files.delete(file);
        changed = true;
      }
    }
    return changed;
  }

  #read(file: string): TargetGroup[] | null {
    try {
      const text = Deno.readTextFileSync(file);
      return parseTargetGroups(text, file.toLowerCase().endsWith(".json") ? "json" : "yaml");
    } catch (err) {
      this.readErrors++;
      log.error("cannot read file_sd file: keeping its targets as they were", { file, err });
      return null;
    }
  }

  /** The groups of every file, each with its `__meta_filepath`. */
  groups(): SourcedGroup[] {
    const out: SourcedGroup[] = [];
    for (const [file, state] of this.#files) {
      for (const g of state.groups) {
        const labels = new Map(g.labels);
        labels.set("__meta_filepath", file);
        out.push({ targets: g.targets, labels, source: file });
      }
    }
    return out;
  }
}

function groupsKey(groups: TargetGroup[]): unknown {
  return groups.map((g) => [g.targets, [...g.labels]]);
}

/** The files the paths name: a `*` in the last segment matches any run of characters. */
export function expandPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    const slash = path.lastIndexOf("/");
    const base = path.slice(slash + 1);
    if (!base.includes("*")) {
      out.push(path);
      continue;
    }
    const dir = slash < 0 ? "." : path.slice(0, slash) || "/";
    const re = new RegExp(
      `^${base.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`,
    );
    try {
      const names = [...Deno.readDirSync(dir)].filter((e) => !e.isDirectory && re.test(e.name))
        .map((e) => e.name).sort();
      for (const name of names) out.push(slash < 0 ? name : `${path.slice(0, slash)}/${name}`);
    } catch {
      // a directory that does not exist (yet) names no file
    }
  }
  return out;
}
