// The config in effect as the status page and `/api/status` show it: go-carbon's section and key
// names (`[whisper] data-dir`, not `whisper.dataDir`), durations as Go durations, and every value
// that could be a secret masked, so the page can be shown on a screen or pasted into an issue.

import type { Config } from "../config/config.ts";
import { formatDuration } from "../config/duration.ts";
import { type KeySpec, SCHEMA } from "../config/schema.ts";

/** What a masked value is replaced with. */
export const MASK = "********";

/**
 * Words that make a key secret wherever they stand in it (`password`, `basic-auth-password`,
 * `bearerToken`, `api_key`, `Authorization`). Whole words only: `max-size` and `keep-alive` stay.
 */
const SECRET_WORDS = new Set([
  "apikey",
  "auth",
  "authorization",
  "bearer",
  "cookie",
  "credential",
  "credentials",
  "key",
  "pass",
  "passphrase",
  "passwd",
  "password",
  "privatekey",
  "pwd",
  "secret",
  "token",
]);

/**
 * `scheme://user:password@host` → `scheme://user:********@host`, and a lone `scheme://token@host`
 * → `scheme://********@host` (URLs carry credentials).
 */
const URL_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s:]*)(:[^/?#@\s]*)?@/i;

const SPECS = new Map<string, KeySpec>();
for (const spec of SCHEMA) {
  if (spec.field !== undefined) SPECS.set(`${spec.section}.${spec.field}`, spec);
}

/**
 * True when a key names a secret: one of its words (split at dashes, underscores, dots and
 * camelCase humps) is password, token, secret, auth, key, credential or the like.
 *
 * @example
 * ```ts
 * isSecretKey("basic-auth-password"); // true
 * isSecretKey("bearerToken");         // true
 * isSecretKey("max-size");            // false
 * ```
 */
export function isSecretKey(key: string): boolean {
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/);
  return words.some((w) => SECRET_WORDS.has(w));
}

/** A value with secrets masked: under a secret key everything, elsewhere passwords in URLs. */
export function maskValue(key: string, value: unknown): unknown {
  if (isSecretKey(key)) return value === "" || value === null ? value : MASK;
  if (typeof value === "string") {
    return value.replace(
      URL_USERINFO,
      (_m, scheme, user, password) => `${scheme}${password ? user + ":" : ""}${MASK}@`,
    );
  }
  if (Array.isArray(value)) return value.map((v) => maskValue("", v));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskValue(k, v)]));
  }
  return value;
}

/**
 * The config as TOML would spell it: `{ whisper: { "data-dir": "./data", ... }, logging: [...] }`,
 * durations as `"1m0s"`, secrets masked. Fields the schema does not know keep their own names.
 */
export function configView(config: Config): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [section, value] of Object.entries(config)) {
    view[section] = Array.isArray(value)
      ? value.map((table) => sectionView(section, table))
      : sectionView(section, value);
  }
  return view;
}

function sectionView(section: string, table: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(table)) {
    const spec = SPECS.get(`${section}.${field}`);
    const key = spec?.key ?? field;
    const shown = spec?.kind === "duration" && typeof value === "number"
      ? formatDuration(value)
      : value;
    out[key] = maskValue(key, shown);
  }
  return out;
}
