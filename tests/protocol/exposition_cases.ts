// Exposition cases shared by the TS reference test and the wasm parser test: a body, its format,
// and the samples Prometheus 2.42 reads from it (`series value [timestampMs]`, labels as
// exposed) or that it fails. Checked against Prometheus 2.42 itself by
// tests/integration/scrape_cases_prometheus_test.ts for the `up` it gives.

import type { ExpositionFormat } from "../../src/protocol/exposition.ts";

/** One case: `samples` as `seriesText value [ts]` lines, or `error: true`. */
export interface ExpositionCase {
  name: string;
  format: ExpositionFormat;
  body: string;
  samples?: string[];
  error?: true;
}

export const EXPOSITION_CASES: ExpositionCase[] = [
  { name: "empty body", format: "text", body: "", samples: [] },
  { name: "one sample", format: "text", body: "up 1\n", samples: ["up 1"] },
  { name: "no final newline", format: "text", body: "up 1", samples: ["up 1"] },
  {
    name: "labels, escapes and a timestamp",
    format: "text",
    body: 'http_requests_total{method="post",code="200"} 1027 1395066363000\n' +
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9\n',
    samples: [
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1458255915',
    ],
  },
  {
    name: "comments, HELP and TYPE, blank lines",
    format: "text",
    body: "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\n\n" +
      "go_goroutines 7\n# a comment\n#HELP not a help line\n   \n",
    samples: ["go_goroutines 7"],
  },
  {
    name: "special values",
    format: "text",
    body: "a NaN\nb +Inf\nc -Inf\nd Inf\ne nan\nf infinity\ng -0\nh .5\ni 5.\nj 1e3\nk +1.5E-2\n",
    samples: [
      "a NaN",
      "b Infinity",
      "c -Infinity",
      "d Infinity",
      "e NaN",
      "f Infinity",
      "g 0",
      "h 0.5",
      "i 5",
      "j 1000",
      "k 0.015",
    ],
  },
  {
    name: "histogram",
    format: "text",
    body: "# TYPE rpc histogram\n" +
      'rpc_bucket{le="0.05"} 24054\nrpc_bucket{le="+Inf"} 144320\nrpc_sum 53423\nrpc_count 144320\n',
    samples: [
      'rpc_bucket{le="0.05"} 24054',
      'rpc_bucket{le="+Inf"} 144320',
      "rpc_sum 53423",
      "rpc_count 144320",
    ],
  },
  {
    name: "summary",
    format: "text",
    body: 'rpc_duration_seconds{quantile="0.5"} 4773\nrpc_duration_seconds_sum 1.7560473e+07\n',
    samples: ['rpc_duration_seconds{quantile="0.5"} 4773', "rpc_duration_seconds_sum 17560473"],
  },
  {
    name: "blanks around label tokens, trailing comma",
    format: "text",
    body: 'a { x = "1" , y="2", } 3\n',
    samples: ['a{x="1",y="2"} 3'],
  },
  { name: "blanks after the timestamp", format: "text", body: "a 3 4 \t\n", samples: ["a 3 4"] },
  { name: "value right after the labels", format: "text", body: "b{}5\n", samples: ["b 5"] },
  { name: "blanks before a sample", format: "text", body: "  c 6\n", error: true },
  { name: "blanks before a comment", format: "text", body: " # c\nc 6\n", samples: ["c 6"] },
  { name: "blank-only lines", format: "text", body: " \t \nc 6\n\t\n", samples: ["c 6"] },
  { name: "a tab before the value", format: "text", body: "c\t6\n", samples: ["c 6"] },
  {
    name: "labels without a comma between them",
    format: "text",
    body: 'a{x="1" y="2"} 3\n',
    samples: ['a{x="1",y="2"} 3'],
  },
  {
    name: "raw newline in a label value",
    format: "text",
    body: 'a{x="1\n2"} 3\n',
    samples: ['a{x="1\\n2"} 3'],
  },
  {
    name: "many digits and long values",
    format: "text",
    body: "a 123456789012345678901234567890\nb 0.1000000000000000055511151231257827\n",
    samples: ["a 1.2345678901234568e+29", "b 0.1"],
  },
  { name: "value out of range", format: "text", body: "a 1e400\n", error: true },
  { name: "hex value", format: "text", body: "a 0x10\n", error: true },
  { name: "underscore value", format: "text", body: "a 1_000\n", error: true },
  { name: "signed nan", format: "text", body: "a +NaN\n", error: true },
  { name: "missing value", format: "text", body: "a\n", error: true },
  { name: "missing value after labels", format: "text", body: 'a{x="1"}\n', error: true },
  { name: "bad metric name", format: "text", body: "9a 1\n", error: true },
  { name: "bad label name", format: "text", body: 'a{9x="1"} 1\n', error: true },
  { name: "unquoted label value", format: "text", body: "a{x=1} 1\n", error: true },
  { name: "unterminated label value", format: "text", body: 'a{x="1} 1\n', error: true },
  { name: "duplicate label", format: "text", body: 'a{x="1",x="2"} 1\n', error: true },
  { name: "too many fields", format: "text", body: "a 1 2 3\n", error: true },
  { name: "float timestamp", format: "text", body: "a 1 2.5\n", error: true },
  { name: "negative timestamp", format: "text", body: "a 1 -2\n", error: true },
  { name: "timestamp past int64", format: "text", body: "a 1 9223372036854775808\n", error: true },
  { name: "CRLF", format: "text", body: "a 1\r\n", error: true },
  { name: "bad TYPE", format: "text", body: "# TYPE a gauges\na 1\n", error: true },
  { name: "TYPE without a name", format: "text", body: "# TYPE\ta\n# TYPE \n", error: true },
  { name: "HELP without text", format: "text", body: "# HELP a\na 1\n", samples: ["a 1"] },
  {
    name: "TYPE with a trailing blank",
    format: "text",
    body: "# TYPE a gauge \na 1\n",
    error: true,
  },
  {
    name: "two blanks before TYPE's type",
    format: "text",
    body: "# TYPE a  gauge\na 1\n",
    error: true,
  },
  { name: "brace first", format: "text", body: '{__name__="a"} 1\n', error: true },
  { name: "NUL ends the body", format: "text", body: "a 1\n\0b 2\n", samples: ["a 1"] },
  {
    name: "error after samples",
    format: "text",
    body: "a 1\nb 2\nc x\nd 4\n",
    error: true,
    samples: ["a 1", "b 2"],
  },
  {
    name: "openmetrics counter with created and exemplar",
    format: "openmetrics",
    body: "# TYPE foo counter\n# HELP foo A counter.\n# UNIT foo_seconds seconds\n" +
      'foo_total{a="b"} 17 1520879607.789 # {trace_id="abc"} 1.0 1520879607.7\n' +
      "foo_created 1520430000.123\n# EOF\n",
    samples: ['foo_total{a="b"} 17 1520879607789', "foo_created 1520430000.123"],
  },
  {
    name: "openmetrics without final newline",
    format: "openmetrics",
    body: "a 1\n# EOF",
    samples: ["a 1"],
  },
  {
    name: "openmetrics exemplar without timestamp",
    format: "openmetrics",
    body: 'a_bucket{le="1"} 2 # {id="x"} 0.5\n# EOF\n',
    samples: ['a_bucket{le="1"} 2'],
  },
  {
    name: "openmetrics types",
    format: "openmetrics",
    body: "# TYPE a info\n# TYPE b stateset\n# TYPE c gaugehistogram\n# TYPE d unknown\n" +
      'a_info{v="1"} 1\n# EOF\n',
    samples: ['a_info{v="1"} 1'],
  },
  { name: "openmetrics missing EOF", format: "openmetrics", body: "a 1\n", error: true },
  { name: "openmetrics data after EOF", format: "openmetrics", body: "# EOF\na 1\n", error: true },
  { name: "openmetrics two spaces", format: "openmetrics", body: "a  1\n# EOF\n", error: true },
  { name: "openmetrics blank line", format: "openmetrics", body: "a 1\n\n# EOF\n", error: true },
  { name: "openmetrics comment", format: "openmetrics", body: "# hi\n# EOF\n", error: true },
  {
    name: "openmetrics space in labels",
    format: "openmetrics",
    body: 'a{x="1", y="2"} 1\n# EOF\n',
    error: true,
  },
  {
    name: "openmetrics untyped",
    format: "openmetrics",
    body: "# TYPE a untyped\n# EOF\n",
    error: true,
  },
  {
    name: "openmetrics bad unit",
    format: "openmetrics",
    body: "# UNIT a_bytes seconds\n# EOF\n",
    error: true,
  },
  {
    name: "openmetrics newline in a label value",
    format: "openmetrics",
    body: 'a{x="1\n"} 1\n# EOF\n',
    error: true,
  },
  {
    name: "openmetrics negative timestamp is kept as a bad timestamp",
    format: "openmetrics",
    body: "a 1 -5\n# EOF\n",
    samples: ["a 1 -5000"],
  },
  {
    name: "openmetrics bad exemplar",
    format: "openmetrics",
    body: 'a 1 # {x="1" 2\n# EOF\n',
    error: true,
  },
];
