// storage-aggregation.conf: the xFilesFactor and aggregation method a new Whisper file gets, by
// metric name. First matching section in file order wins; no match, or a key a section leaves
// out, means whisper's defaults (0.5, average), as in carbon.

import {
  AGGREGATION_METHODS,
  type AggregationMethod,
  isAggregationMethod,
} from "../whisper/format.ts";
import { parseIni, sectionPattern } from "./ini.ts";

/** What a metric gets: the section name, xFilesFactor and aggregation method. */
export interface AggregationMatch {
  /** Section name, or "default" when nothing matched. */
  name: string;
  /** Fraction of known points needed to propagate. */
  xFilesFactor: number;
  /** Consolidation function. */
  aggregationMethod: AggregationMethod;
}

/** One parsed section of storage-aggregation.conf. */
export interface AggregationRule extends AggregationMatch {
  /** The `pattern`, searched anywhere in the metric name (Python's re.search). */
  pattern: RegExp;
  /** Line of the section header. */
  line: number;
}

/** whisper's defaults, used by carbon when no rule matches or a rule leaves a key out. */
export const DEFAULT_AGGREGATION: AggregationMatch = Object.freeze({
  name: "default",
  xFilesFactor: 0.5,
  aggregationMethod: "average",
});

/** Parsed storage-aggregation.conf: rules in file order. */
export class StorageAggregation {
  /** Rules in the order they are tried. */
  readonly rules: readonly AggregationRule[];

  /** Keeps `rules` in the given (file) order. */
  constructor(rules: AggregationRule[]) {
    this.rules = rules;
  }

  /** Returns the first rule whose pattern matches `metricName`, or {@linkcode DEFAULT_AGGREGATION}. */
  match(metricName: string): AggregationMatch {
    for (const rule of this.rules) if (rule.pattern.test(metricName)) return rule;
    return DEFAULT_AGGREGATION;
  }
}

const FLOAT = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

/**
 * Parses storage-aggregation.conf. Each section needs `pattern`; `xFilesFactor` (0 to 1) and
 * `aggregationMethod` (one of whisper's eight, or go-carbon's alias `avg`) are optional.
 *
 * @example
 * ```ts
 * import { parseStorageAggregation } from "./storage_aggregation.ts";
 * const rules = parseStorageAggregation("[sum]\npattern = \\.count$\nxFilesFactor = 0\naggregationMethod = sum\n", "storage-aggregation.conf");
 * rules.match("app.requests.count"); // { name: "sum", xFilesFactor: 0, aggregationMethod: "sum", ... }
 * ```
 * @throws {SyntaxError} `Cannot parse <fileName> at line 3: xFilesFactor "2" is not between 0 and 1`
 */
export function parseStorageAggregation(text: string, fileName: string): StorageAggregation {
  const fail = (line: number, problem: string): never => {
    throw new SyntaxError(`Cannot parse ${fileName} at line ${line}: ${problem}`);
  };
  const rules: AggregationRule[] = [];
  for (const section of parseIni(text, fileName)) {
    const regex = sectionPattern(section, fail);
    let xFilesFactor = DEFAULT_AGGREGATION.xFilesFactor;
    const xff = section.entries.get("xfilesfactor");
    if (xff !== undefined) {
      if (!FLOAT.test(xff.value)) fail(xff.line, `xFilesFactor "${xff.value}" is not a number`);
      xFilesFactor = Number(xff.value);
      if (!(xFilesFactor >= 0 && xFilesFactor <= 1)) {
        fail(xff.line, `xFilesFactor "${xff.value}" is not between 0 and 1`);
      }
    }
    let aggregationMethod = DEFAULT_AGGREGATION.aggregationMethod;
    const method = section.entries.get("aggregationmethod");
    if (method !== undefined) {
      const name = method.value === "avg" ? "average" : method.value;
      if (!isAggregationMethod(name)) {
        fail(
          method.line,
          `aggregationMethod "${method.value}" is not one of ${AGGREGATION_METHODS.join(", ")}`,
        );
      }
      aggregationMethod = name as AggregationMethod;
    }
    rules.push({
      name: section.name,
      pattern: regex,
      xFilesFactor,
      aggregationMethod,
      line: section.line,
    });
  }
  return new StorageAggregation(rules);
}
