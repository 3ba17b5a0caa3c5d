// seriesByTag expressions as graphite-web's TagDB reads them (graphite/tags/base.py
// parse_tagspec, redis.py _find_series): `tag=spec`, `tag!=spec`, `tag=~regex`, `tag!=~regex`.
// A series without the tag has the value "" for it; regexes match from the start of the value
// (Python's re.match); at least one expression must not match the empty value.

/** One parsed expression. */
export interface TagExpr {
  tag: string;
  op: "=" | "!=" | "=~" | "!=~";
  spec: string;
  /** The compiled regex of `=~` and `!=~`, anchored at the start. */
  regex?: RegExp;
}

/** A refused expression: graphite-web answers 400 with `{"error": message}`. */
export class TagExprError extends Error {}

const TAGSPEC = /^([^;!=]+)(!?=~?)([^;]*)$/;

/**
 * A Python regex as a JS RegExp that matches from the start only, as re.match does. Named
 * groups are spelled `(?P<name>...)` in Python.
 *
 * @throws {TagExprError} for a pattern JS cannot compile
 */
export function pythonRegex(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern.replaceAll("(?P<", "(?<")})`);
  } catch (err) {
    throw new TagExprError(`Invalid regular expression ${JSON.stringify(pattern)}: ${err}`);
  }
}

/**
 * Parses one expression.
 *
 * @throws {TagExprError} `Invalid tagspec <expr>`, as graphite-web
 */
export function parseTagExpr(expr: string): TagExpr {
  const m = TAGSPEC.exec(expr);
  if (m === null) throw new TagExprError(`Invalid tagspec ${expr}`);
  const op = m[2] as TagExpr["op"];
  const parsed: TagExpr = { tag: m[1], op, spec: m[3] };
  if (op === "=~" || op === "!=~") parsed.regex = pythonRegex(m[3]);
  return parsed;
}

/** True when the expression holds for a series whose tag has `value` ("" when absent). */
export function matches(e: TagExpr, value: string): boolean {
  switch (e.op) {
    case "=":
      return value === e.spec;
    case "!=":
      return value !== e.spec;
    case "=~":
      return e.regex!.test(value);
    case "!=~":
      return !e.regex!.test(value);
  }
}

/** True when the expression holds for series that lack the tag: it cannot select series. */
export function matchesEmpty(e: TagExpr): boolean {
  return matches(e, "");
}

/**
 * The parsed expressions of a query, with at least one that selects.
 *
 * @throws {TagExprError} for a bad expression, or when every one matches the empty value
 */
export function parseTagQuery(exprs: readonly string[]): TagExpr[] {
  const parsed = exprs.map(parseTagExpr);
  if (!parsed.some((e) => !matchesEmpty(e))) {
    throw new TagExprError("At least one tagspec must not match the empty string");
  }
  return parsed;
}

/**
 * The quoted arguments of a `seriesByTag('a=b', "c=~d")` target, or null when the target is
 * not a seriesByTag call.
 *
 * @throws {TagExprError} for a malformed argument list
 */
export function seriesByTagArgs(target: string): string[] | null {
  const t = target.trim();
  if (!t.startsWith("seriesByTag(") || !t.endsWith(")")) return null;
  const body = t.slice("seriesByTag(".length, -1);
  const args: string[] = [];
  let i = 0;
  const skipBlanks = () => {
    while (i < body.length && /\s/.test(body[i])) i++;
  };
  skipBlanks();
  while (i < body.length) {
    const quote = body[i];
    if (quote !== "'" && quote !== '"') {
      throw new TagExprError(`Invalid seriesByTag argument in ${target}`);
    }
    const end = body.indexOf(quote, i + 1);
    if (end < 0) throw new TagExprError(`Unterminated string in ${target}`);
    args.push(body.slice(i + 1, end));
    i = end + 1;
    skipBlanks();
    if (i < body.length) {
      if (body[i] !== ",") throw new TagExprError(`Invalid seriesByTag argument in ${target}`);
      i++;
      skipBlanks();
    }
  }
  if (args.length === 0) throw new TagExprError(`seriesByTag needs an expression: ${target}`);
  return args;
}
