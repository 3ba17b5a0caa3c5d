// The Prometheus configuration file `[scrape] config-file` names, read the way Prometheus 2.42
// reads it (config/config.go, model/relabel/relabel.go): `global` scrape settings and
// `scrape_configs` with Prometheus' defaults, its validation and its error cases. What carbonado
// does not act on (alerting, rule files, remote storage, service discovery other than
// static_configs and file_sd_configs, TLS settings, ...) is listed by key in `ignored`, for one
// warning at start. YAML is read as Go's yaml.v2 reads it into Prometheus' typed fields: every
// scalar as its text (so `job_name: e500` or `targets: [0x10:80]` stay strings), then bools
// (YAML 1.1 spellings) and integers where the field wants them.

import { parseDocument } from "yaml";
import {
  compileRegex,
  LABEL_NAME,
  RELABEL_ACTIONS,
  type RelabelAction,
  type RelabelRule,
} from "./relabel.ts";

/** A group of targets sharing labels (a static_configs entry or one group of a file_sd file). */
export interface TargetGroup {
  /** `host:port` addresses. */
  targets: string[];
  labels: Map<string, string>;
}

/** One file_sd_configs entry. */
export interface FileSdConfig {
  /** Paths; the last path segment may hold `*` wildcards. */
  files: string[];
  /** Every file is re-read at least this often (ms); changes are seen sooner (discovery.ts). */
  refreshInterval: number;
}

/** HTTP authentication of a job's scrapes. */
export type ScrapeAuth =
  | { type: "basic"; username: string; password: string; passwordFile: string }
  | { type: "authorization"; scheme: string; credentials: string; credentialsFile: string };

/** One scrape_configs entry, defaults filled in. Durations in milliseconds. */
export interface ScrapeJob {
  jobName: string;
  scrapeInterval: number;
  scrapeTimeout: number;
  metricsPath: string;
  scheme: "http" | "https";
  params: Record<string, string[]>;
  honorLabels: boolean;
  honorTimestamps: boolean;
  /** 0: no limit. */
  sampleLimit: number;
  auth?: ScrapeAuth;
  staticConfigs: TargetGroup[];
  fileSdConfigs: FileSdConfig[];
  relabelConfigs: RelabelRule[];
  metricRelabelConfigs: RelabelRule[];
}

/** What carbonado takes from a Prometheus configuration file. */
export interface ScrapeSettings {
  jobs: ScrapeJob[];
  /** Keys present in the file that carbonado does not act on, e.g. `scrape_configs[0].tls_config`. */
  ignored: string[];
}

/** Prometheus 2.42's defaults (config.DefaultGlobalConfig, DefaultScrapeConfig, ...). */
export const PROMETHEUS_DEFAULTS = {
  scrapeInterval: 60_000,
  scrapeTimeout: 10_000,
  metricsPath: "/metrics",
  scheme: "http",
  honorLabels: false,
  honorTimestamps: true,
  sampleLimit: 0,
  fileSdRefreshInterval: 5 * 60_000,
  relabelSeparator: ";",
  relabelRegex: "(.*)",
  relabelReplacement: "$1",
} as const;

const UNITS_MS: Record<string, number> = {
  y: 365 * 86_400_000,
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};

/**
 * Parses a Prometheus duration (model.ParseDuration: `1h30m`, `15s`, `500ms`, `2w`; units in
 * the order y w d h m s ms, each at most once; `0` alone) into milliseconds, or null.
 */
export function parsePromDuration(text: string): number | null {
  if (text === "0") return 0;
  const m = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/
    .exec(text);
  if (!m || text === "") return null;
  const units = ["y", "w", "d", "h", "m", "s", "ms"];
  let ms = 0;
  for (let i = 0; i < units.length; i++) {
    if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * UNITS_MS[units[i]];
  }
  return ms;
}

/** Formats milliseconds as Prometheus prints a duration (`1m`, `1m30s`, `500ms`). */
export function formatPromDuration(ms: number): string {
  if (ms === 0) return "0s";
  let out = "";
  let left = ms;
  for (const unit of ["y", "w", "d", "h", "m", "s", "ms"]) {
    const n = Math.floor(left / UNITS_MS[unit]);
    if (n > 0) {
      out += `${n}${unit}`;
      left -= n * UNITS_MS[unit];
    }
  }
  return out;
}

/** A key path and its value, read with the keys it knows noted. */
class Node {
  readonly path: string;
  readonly value: unknown;
  #known = new Set<string>();

  constructor(path: string, value: unknown) {
    this.path = path;
    this.value = value;
  }

  #at(key: string): string {
    return this.path === "" ? key : `${this.path}.${key}`;
  }

  /** The mapping's value at `key`, noted as known; undefined (or null in YAML) when absent. */
  get(key: string): Node | undefined {
    this.#known.add(key);
    const map = this.value as Record<string, unknown>;
    const v = map[key];
    return v === undefined || v === null ? undefined : new Node(this.#at(key), v);
  }

  /** Keys of the mapping that get() was never asked for. */
  unknownKeys(): string[] {
    return Object.keys(this.value as object).filter((k) => !this.#known.has(k))
      .map((k) => this.#at(k));
  }

  fail(msg: string): never {
    throw new TypeError(`${this.path}: ${msg}`);
  }

  mapping(): Node {
    const v = this.value;
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail("not a mapping");
    return this;
  }

  list(): Node[] {
    if (!Array.isArray(this.value)) this.fail("not a list");
    return (this.value as unknown[]).map((v, i) => new Node(`${this.path}[${i}]`, v));
  }

  string(): string {
    const v = this.value;
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    return this.fail("not a string");
  }

  bool(): boolean {
    const v = this.value;
    if (typeof v === "boolean") return v;
    const text = typeof v === "string" ? v.toLowerCase() : "";
    if (["true", "yes", "on", "y"].includes(text)) return true;
    if (["false", "no", "off", "n"].includes(text)) return false;
    return this.fail(`${JSON.stringify(v)} is not a bool`);
  }

  uint(): number {
    const v = this.value;
    const n = typeof v === "string" && /^\+?\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
      this.fail(`${JSON.stringify(v)} is not a non-negative integer`);
    }
    return n as number;
  }

  duration(): number {
    const text = this.string();
    const ms = parsePromDuration(text);
    if (ms === null) this.fail(`not a valid duration string: "${text}"`);
    return ms!;
  }

  labelName(): string {
    const name = this.string();
    if (!LABEL_NAME.test(name)) this.fail(`"${name}" is not a valid label name`);
    return name;
  }

  labels(): Map<string, string> {
    const out = new Map<string, string>();
    const map = this.mapping().value as Record<string, unknown>;
    for (const k of Object.keys(map)) {
      if (!LABEL_NAME.test(k)) this.fail(`"${k}" is not a valid label name`);
      out.set(k, new Node(`${this.path}.${k}`, map[k]).string());
    }
    return out;
  }
}

/**
 * Reads a Prometheus configuration text.
 *
 * @throws {SyntaxError} when it is not YAML; {TypeError} naming the key when a value is wrong
 */
export function parsePromConfig(text: string): ScrapeSettings {
  const doc = parseDocument(text, { version: "1.1", schema: "failsafe", uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0].line;
    throw new SyntaxError(`${line ? `line ${line}: ` : ""}${e.message.split("\n")[0]}`);
  }
  const ignored: string[] = [];
  const raw = doc.toJS() ?? {};
  const root = new Node("", raw).mapping();
  const global = root.get("global")?.mapping();
  const interval = global?.get("scrape_interval")?.duration() ??
    PROMETHEUS_DEFAULTS.scrapeInterval;
  // an unset global timeout is the default capped at the interval (config.go GlobalConfig)
  const timeout = global?.get("scrape_timeout")?.duration() ??
    Math.min(PROMETHEUS_DEFAULTS.scrapeTimeout, interval);
  if (timeout > interval) {
    global!.fail("global scrape timeout greater than scrape interval");
  }
  if (global) ignored.push(...global.unknownKeys());
  const jobs: ScrapeJob[] = [];
  const names = new Set<string>();
  for (const node of root.get("scrape_configs")?.list() ?? []) {
    const job = readJob(node.mapping(), interval, timeout);
    if (names.has(job.jobName)) {
      node.fail(`found multiple scrape configs with job name "${job.jobName}"`);
    }
    names.add(job.jobName);
    jobs.push(job);
    ignored.push(...node.unknownKeys());
  }
  ignored.push(...root.unknownKeys());
  return { jobs, ignored };
}

/**
 * The target groups of a file_sd file: a JSON or YAML list of `{targets, labels}`.
 *
 * @throws {SyntaxError} or {TypeError} naming the entry that is wrong
 */
export function parseTargetGroups(text: string, format: "json" | "yaml"): TargetGroup[] {
  let value: unknown;
  if (format === "json") {
    value = JSON.parse(text);
  } else {
    const doc = parseDocument(text, { version: "1.1", schema: "failsafe" });
    if (doc.errors.length > 0) throw new SyntaxError(doc.errors[0].message.split("\n")[0]);
    value = doc.toJS();
  }
  if (value === null || value === undefined) return [];
  return new Node("", value).list().map(readGroup);
}

/** Reads and parses the file; errors name the file. */
export function readPromConfig(file: string): ScrapeSettings {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    throw new Error(`Cannot read scrape.config-file "${file}": ${(err as Error).message}`);
  }
  try {
    return parsePromConfig(text);
  } catch (err) {
    const e = err as Error;
    const Kind = e instanceof SyntaxError ? SyntaxError : TypeError;
    throw new Kind(`Cannot parse ${file}: ${e.message}`);
  }
}

function readJob(node: Node, globalInterval: number, globalTimeout: number): ScrapeJob {
  const jobName = node.get("job_name")?.string() ?? "";
  if (jobName === "") node.fail("job_name is empty");
  const scrapeInterval = node.get("scrape_interval")?.duration() ?? globalInterval;
  // an unset timeout is the global one, capped at the job's interval (config.go Validate)
  let scrapeTimeout = node.get("scrape_timeout")?.duration();
  if (scrapeTimeout === undefined) scrapeTimeout = Math.min(globalTimeout, scrapeInterval);
  if (scrapeTimeout > scrapeInterval) {
    node.fail(
      `scrape timeout greater than scrape interval for scrape config with job name "${jobName}"`,
    );
  }
  if (scrapeInterval === 0) node.fail("scrape_interval is zero");
  const scheme = node.get("scheme")?.string() ?? PROMETHEUS_DEFAULTS.scheme;
  if (scheme !== "http" && scheme !== "https") {
    node.fail(`invalid scheme "${scheme}": only http and https are supported`);
  }
  const params: Record<string, string[]> = {};
  const paramsNode = node.get("params")?.mapping();
  if (paramsNode) {
    for (const [k, v] of Object.entries(paramsNode.value as Record<string, unknown>)) {
      params[k] = new Node(`${paramsNode.path}.${k}`, v).list().map((n) => n.string());
    }
  }
  const job: ScrapeJob = {
    jobName,
    scrapeInterval,
    scrapeTimeout,
    metricsPath: node.get("metrics_path")?.string() ?? PROMETHEUS_DEFAULTS.metricsPath,
    scheme,
    params,
    honorLabels: node.get("honor_labels")?.bool() ?? PROMETHEUS_DEFAULTS.honorLabels,
    honorTimestamps: node.get("honor_timestamps")?.bool() ?? PROMETHEUS_DEFAULTS.honorTimestamps,
    sampleLimit: node.get("sample_limit")?.uint() ?? PROMETHEUS_DEFAULTS.sampleLimit,
    auth: readAuth(node),
    staticConfigs: (node.get("static_configs")?.list() ?? []).map(readGroup),
    fileSdConfigs: (node.get("file_sd_configs")?.list() ?? []).map(readFileSd),
    relabelConfigs: (node.get("relabel_configs")?.list() ?? []).map(readRule),
    metricRelabelConfigs: (node.get("metric_relabel_configs")?.list() ?? []).map(readRule),
  };
  return job;
}

function readAuth(node: Node): ScrapeAuth | undefined {
  const basic = node.get("basic_auth")?.mapping();
  const token = node.get("bearer_token")?.string();
  const tokenFile = node.get("bearer_token_file")?.string();
  const authorization = node.get("authorization")?.mapping();
  const kinds = [basic, token ?? tokenFile, authorization].filter((x) => x !== undefined);
  if (kinds.length > 1) {
    node.fail(
      "at most one of basic_auth, bearer_token & bearer_token_file, authorization " +
        "must be configured",
    );
  }
  if (token !== undefined && tokenFile !== undefined) {
    node.fail("at most one of bearer_token & bearer_token_file must be configured");
  }
  if (basic) {
    const auth: ScrapeAuth = {
      type: "basic",
      username: basic.get("username")?.string() ?? "",
      password: basic.get("password")?.string() ?? "",
      passwordFile: basic.get("password_file")?.string() ?? "",
    };
    if (auth.password !== "" && auth.passwordFile !== "") {
      basic.fail("at most one of basic_auth password & password_file must be configured");
    }
    mustBeKnown(basic);
    return auth;
  }
  if (token !== undefined || tokenFile !== undefined) {
    return {
      type: "authorization",
      scheme: "Bearer",
      credentials: token ?? "",
      credentialsFile: tokenFile ?? "",
    };
  }
  if (authorization) {
    const scheme = authorization.get("type")?.string() ?? "Bearer";
    if (scheme.toLowerCase() === "basic") {
      authorization.fail(`authorization type cannot be set to "basic", use "basic_auth" instead`);
    }
    const auth: ScrapeAuth = {
      type: "authorization",
      scheme,
      credentials: authorization.get("credentials")?.string() ?? "",
      credentialsFile: authorization.get("credentials_file")?.string() ?? "",
    };
    if (auth.credentials !== "" && auth.credentialsFile !== "") {
      authorization.fail(
        "at most one of authorization credentials & credentials_file must be configured",
      );
    }
    mustBeKnown(authorization);
    return auth;
  }
  return undefined;
}

/** Refuses keys a small mapping does not have (Prometheus reads the file strictly). */
function mustBeKnown(node: Node): void {
  const unknown = node.unknownKeys();
  if (unknown.length > 0) node.fail(`unknown field "${unknown[0].slice(node.path.length + 1)}"`);
}

function readGroup(node: Node): TargetGroup {
  node.mapping();
  const group: TargetGroup = {
    targets: (node.get("targets")?.list() ?? []).map((n) => n.string()),
    labels: node.get("labels")?.labels() ?? new Map(),
  };
  mustBeKnown(node);
  return group;
}

function readFileSd(node: Node): FileSdConfig {
  node.mapping();
  const files = (node.get("files")?.list() ?? []).map((n) => n.string());
  for (const f of files) {
    // discovery/file/file.go patFileSDName
    if (!/^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/.test(f)) {
      node.fail(`path name "${f}" is not valid for file discovery`);
    }
  }
  if (files.length === 0) {
    node.fail("file service discovery config must contain at least one path name");
  }
  const sd: FileSdConfig = {
    files,
    refreshInterval: node.get("refresh_interval")?.duration() ??
      PROMETHEUS_DEFAULTS.fileSdRefreshInterval,
  };
  mustBeKnown(node);
  return sd;
}

const RELABEL_TARGET = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;

function readRule(node: Node): RelabelRule {
  node.mapping();
  const actionText = (node.get("action")?.string() ?? "replace").toLowerCase();
  if (!(RELABEL_ACTIONS as readonly string[]).includes(actionText)) {
    node.fail(`unknown relabel action "${actionText}"`);
  }
  const action = actionText as RelabelAction;
  const sourceNode = node.get("source_labels");
  const separatorNode = node.get("separator");
  const regexNode = node.get("regex");
  const targetNode = node.get("target_label");
  const replacementNode = node.get("replacement");
  const modulusNode = node.get("modulus");
  const regexText = regexNode?.string() ?? PROMETHEUS_DEFAULTS.relabelRegex;
  let regex: RegExp;
  try {
    regex = compileRegex(regexText);
  } catch (err) {
    return regexNode!.fail(`cannot compile "${regexText}": ${(err as Error).message}`);
  }
  const rule: RelabelRule = {
    sourceLabels: (sourceNode?.list() ?? []).map((n) => n.labelName()),
    separator: separatorNode?.string() ?? PROMETHEUS_DEFAULTS.relabelSeparator,
    regexText,
    regex,
    targetLabel: targetNode?.string() ?? "",
    replacement: replacementNode?.string() ?? PROMETHEUS_DEFAULTS.relabelReplacement,
    modulus: modulusNode?.uint() ?? 0,
    action,
  };
  mustBeKnown(node);
  const needsTarget = ["replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal"];
  if (action === "hashmod" && rule.modulus === 0) {
    node.fail("relabel configuration for hashmod requires non-zero modulus");
  }
  if (needsTarget.includes(action) && rule.targetLabel === "") {
    node.fail(`relabel configuration for ${action} action requires 'target_label' value`);
  }
  if (action === "replace" && !RELABEL_TARGET.test(rule.targetLabel)) {
    node.fail(`"${rule.targetLabel}" is invalid 'target_label' for ${action} action`);
  }
  if (needsTarget.includes(action) && action !== "replace" && !LABEL_NAME.test(rule.targetLabel)) {
    node.fail(`"${rule.targetLabel}" is invalid 'target_label' for ${action} action`);
  }
  if (action === "labelmap" && !RELABEL_TARGET.test(rule.replacement)) {
    node.fail(`"${rule.replacement}" is invalid 'replacement' for ${action} action`);
  }
  const d = PROMETHEUS_DEFAULTS;
  const otherThanRegex = rule.sourceLabels.length > 0 || rule.targetLabel !== "" ||
    rule.modulus !== 0 || rule.separator !== d.relabelSeparator ||
    rule.replacement !== d.relabelReplacement;
  if ((action === "labeldrop" || action === "labelkeep") && otherThanRegex) {
    node.fail(`${action} action requires only 'regex', and no other fields`);
  }
  const otherThanLabels = rule.regexText !== d.relabelRegex || rule.modulus !== 0 ||
    rule.separator !== d.relabelSeparator || rule.replacement !== d.relabelReplacement;
  if ((action === "keepequal" || action === "dropequal") && otherThanLabels) {
    node.fail(
      `${action} action requires only 'source_labels' and \`target_label\`, and no other fields`,
    );
  }
  return rule;
}
