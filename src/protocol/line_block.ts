// The line loop the TS reference parsers of line protocols share (Influx, OpenTSDB), as the
// wasm parsers share assembly/structured.ts parseLines().

const LF = 0x0a;

/**
 * Calls `line` with each complete line of `chunk` (without its `\n`), or `tooLong` for one
 * longer than `maxLineLen`; returns the bytes consumed (a partial last line is left over).
 */
export function eachLine(
  chunk: Uint8Array,
  maxLineLen: number,
  line: (bytes: Uint8Array) => void,
  tooLong: () => void,
): number {
  let start = 0;
  while (true) {
    const lf = chunk.indexOf(LF, start);
    if (lf < 0) return start;
    if (lf - start > maxLineLen) tooLong();
    else line(chunk.subarray(start, lf));
    start = lf + 1;
  }
}
