// Prometheus relabeling (model/relabel/relabel.go @v2.42): a list of rules applied in order to
// a label set, each one rewriting it or dropping it whole. Used for relabel_configs (target
// labels, before a target exists) and metric_relabel_configs (each scraped series, once per
// new series: the scrape cache remembers the result). Regexes are anchored at both ends and
// written in Go's RE2 syntax, which JavaScript reads the same for what configs use
// (`(?P<name>...)` becomes `(?<name>...)`, a leading `(?i)` a flag). `$1`, `${1}` and `$name` in a
// replacement or a target label are expanded as Go's Regexp.Expand does.

import { createHash } from "node:crypto";

/** Every action of Prometheus 2.42. */
export const RELABEL_ACTIONS = [
  "replace",
  "keep",
  "drop",
  "hashmod",
  "labelmap",
  "labeldrop",
  "labelkeep",
  "lowercase",
  "uppercase",
  "keepequal",
  "dropequal",
] as const;

/** One of RELABEL_ACTIONS. */
export type RelabelAction = typeof RELABEL_ACTIONS[number];

/** One rule, defaults filled in. */
export interface RelabelRule {
  sourceLabels: string[];
  separator: string;
  /** The regex as written (for messages). */
  regexText: string;
  /** Anchored: `^(?:regexText)$`. */
  regex: RegExp;
  targetLabel: string;
  replacement: string;
  modulus: number;
  action: RelabelAction;
}

/** A label set: name to value; an empty value is the same as no label (Prometheus). */
export type Labels = Map<string, string>;

/** Label names Prometheus 2.42 accepts (model.LabelNameRE). */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Compiles a Go (RE2) regex as Prometheus anchors it.
 *
 * @throws {SyntaxError} when JavaScript cannot read it
 */
export function compileRegex(text: string): RegExp {
  let js = text.replace(/\(\?P</g, "(?<");
  // a leading `(?i)`, `(?s)` or `(?m)` (Go's flag groups) becomes JavaScript flags
  const flags = /^\(\?([ims]+)\)/.exec(js);
  if (flags) js = js.slice(flags[0].length);
  return new RegExp(`^(?:${js})$`, flags ? [...new Set(flags[1])].join("") : "");
}

/**
 * Expands `$1`, `${1}`, `$name`, `${name}` and `$$` in `template` with the groups of `match`,
 * as Go's Regexp.Expand: a name after `$` takes every letter, digit and `_` it can, and a group
 * that does not exist expands to nothing.
 */
export function expand(template: string, match: RegExpExecArray): string {
  if (!template.includes("$")) return template;
  let out = "";
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    if (template[i + 1] === "$") {
      out += "$";
      i += 2;
      continue;
    }
    let name: string;
    let next: number;
    if (template[i + 1] === "{") {
      const close = template.indexOf("}", i + 2);
      name = close < 0 ? "" : template.slice(i + 2, close);
      if (close < 0 || !/^\w+$/.test(name)) {
        out += "$"; // Go writes a malformed reference out as it is
        i++;
        continue;
      }
      next = close + 1;
    } else {
      const m = /^\w+/.exec(template.slice(i + 1));
      if (!m) {
        out += "$";
        i++;
        continue;
      }
      name = m[0];
      next = i + 1 + name.length;
    }
    out += groupValue(match, name);
    i = next;
  }
  return out;
}

function groupValue(match: RegExpExecArray, name: string): string {
  if (/^\d+$/.test(name)) return match[Number(name)] ?? "";
  return match.groups?.[name] ?? "";
}

/** The last 8 bytes of the MD5 of `text` as a big-endian number, modulo `modulus` (hashmod). */
function hashMod(text: string, modulus: number): number {
  const md5 = createHash("md5").update(text).digest();
  let s = 0n;
  for (let i = 8; i < 16; i++) s = (s << 8n) | BigInt(md5[i]);
  return Number(s % BigInt(modulus));
}

/**
 * Applies `rules` in order to a copy of `labels`. Returns the new label set, or null when a rule
 * dropped it. Labels whose value ends up empty are removed.
 *
 * @example
 * ```ts
 * const rule = { ...defaults, action: "labelmap", regex: compileRegex("__meta_(.+)") };
 * relabel(new Map([["__meta_zone", "a"]]), [rule]); // Map { "__meta_zone" => "a", "zone" => "a" }
 * ```
 */
export function relabel(labels: Labels, rules: readonly RelabelRule[]): Labels | null {
  const out = new Map(labels);
  for (const rule of rules) {
    if (!applyRule(out, rule)) return null;
  }
  for (const [k, v] of out) if (v === "") out.delete(k);
  return out;
}

/** Applies one rule in place; false when it drops the set. */
function applyRule(labels: Labels, rule: RelabelRule): boolean {
  const value = rule.sourceLabels.map((l) => labels.get(l) ?? "").join(rule.separator);
  switch (rule.action) {
    case "drop":
      return !rule.regex.test(value);
    case "keep":
      return rule.regex.test(value);
    case "dropequal":
      return value !== (labels.get(rule.targetLabel) ?? "");
    case "keepequal":
      return value === (labels.get(rule.targetLabel) ?? "");
    case "replace": {
      const m = rule.regex.exec(value);
      if (!m) return true;
      const target = expand(rule.targetLabel, m);
      if (!LABEL_NAME.test(target)) return true;
      const res = expand(rule.replacement, m);
      if (res === "") labels.delete(target);
      else labels.set(target, res);
      return true;
    }
    case "lowercase":
      labels.set(rule.targetLabel, value.toLowerCase());
      return true;
    case "uppercase":
      labels.set(rule.targetLabel, value.toUpperCase());
      return true;
    case "hashmod":
      labels.set(rule.targetLabel, String(hashMod(value, rule.modulus)));
      return true;
    case "labelmap":
      for (const [name, v] of [...labels]) {
        const m = rule.regex.exec(name);
        if (m) labels.set(expand(rule.replacement, m), v);
      }
      return true;
    case "labeldrop":
      for (const name of [...labels.keys()]) if (rule.regex.test(name)) labels.delete(name);
      return true;
    case "labelkeep":
      for (const name of [...labels.keys()]) if (!rule.regex.test(name)) labels.delete(name);
      return true;
  }
}
