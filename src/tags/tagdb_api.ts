// graphite-web's HTTP TagDB API (graphite/tags/views.py, urls.py), served on the carbonserver
// listener so that graphite-web's HttpTagDB (TAGDB_HTTP_URL), its RemoteFinder (CLUSTER_SERVERS)
// and Grafana's tag auto-completion read carbonado's own tag index:
//   POST /tags/tagSeries  /tags/tagMultiSeries  /tags/delSeries           register, delete
//   GET|POST /tags/findSeries?expr=...                                     seriesByTag
//   GET /tags  /tags/<tag>                                                 tags, values
//   GET|POST /tags/autoComplete/tags  /tags/autoComplete/values            auto-completion
// Answers are what graphite-web's jsonResponse writes: Python's json.dumps (", " and ": "
// separators, non-ASCII escaped), errors as {"error": message} with 400 (bad input), 405
// (method) or 500.

import { TagExprError } from "./tag_expr.ts";
import type { TagDb } from "./tag_db.ts";

/** Python's json.dumps(value) with its default separators and ensure_ascii. */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(pyJson).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${pyJson(k)}: ${pyJson(v)}`).join(", ")}}`;
}

function json(body: unknown, status = 200): Response {
  return new Response(pyJson(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** A refused request, answered as graphite-web's HttpError. */
class HttpError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/** Values of `name`, or of `name[]` (the Rails/PHP/jQuery form graphite-web accepts too). */
function list(params: URLSearchParams, name: string): string[] {
  const plain = params.getAll(name);
  return plain.length > 0 ? plain : params.getAll(`${name}[]`);
}

function limitOf(params: URLSearchParams): number | undefined {
  const raw = params.get("limit");
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) {
    throw new HttpError(`invalid literal for int() with base 10: '${raw}'`, 500);
  }
  return n;
}

/**
 * Answers one `/tags...` request from the tag database. `path` is the URL path, `params` the
 * query string and form fields together.
 */
export function tagsApi(
  tagDb: TagDb,
  method: string,
  path: string,
  params: URLSearchParams,
): Response {
  const index = tagDb.index;
  const allow = (...methods: string[]) => {
    if (!methods.includes(method)) throw new HttpError("", 405);
  };
  try {
    const route = path.replace(/^\/tags/, "");
    switch (route) {
      case "/tagSeries": {
        allow("POST");
        const p = params.get("path");
        if (!p) throw new HttpError("no path specified", 400);
        return json(tagDb.register(p));
      }
      case "/tagMultiSeries": {
        allow("POST");
        const paths = list(params, "path");
        if (paths.length === 0) throw new HttpError("no paths specified", 400);
        return json(paths.map((p) => tagDb.register(p)));
      }
      case "/delSeries": {
        allow("POST");
        const paths = list(params, "path");
        if (paths.length === 0) throw new HttpError("no path specified", 400);
        for (const p of paths) tagDb.delete(p);
        return json(true);
      }
      case "/findSeries": {
        allow("GET", "POST");
        const exprs = list(params, "expr");
        if (exprs.length === 0) throw new HttpError("no tag expressions specified", 400);
        return json(index.findSeries(exprs));
      }
      case "/autoComplete/tags": {
        allow("GET", "POST");
        return json(index.autoCompleteTags(
          list(params, "expr"),
          params.get("tagPrefix") ?? "",
          limitOf(params),
        ));
      }
      case "/autoComplete/values": {
        allow("GET", "POST");
        const tag = params.get("tag");
        if (!tag) throw new HttpError("no tag specified", 400);
        return json(index.autoCompleteValues(
          list(params, "expr"),
          tag,
          params.get("valuePrefix") ?? "",
          limitOf(params),
        ));
      }
      case "":
      case "/": {
        allow("GET");
        return json(index.listTags(params.get("filter"), limitOf(params)));
      }
      default: {
        allow("GET");
        const tag = decodeURIComponent(route.slice(1));
        return json(index.getTag(tag, params.get("filter"), limitOf(params)));
      }
    }
  } catch (err) {
    if (err instanceof HttpError) {
      return err.status === 405
        ? new Response(null, { status: 405 })
        : json({ error: err.message }, err.status);
    }
    if (err instanceof TagExprError || err instanceof TypeError) {
      return json({ error: err.message }, 400);
    }
    return json({ error: err instanceof Error ? err.message : String(err) }, 500);
  }
}
