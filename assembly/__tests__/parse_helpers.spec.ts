// Internal helpers of the hot path: FNV-1a vectors, number parsing, name rules.

import { fnv1a32 } from "../fnv";
import { NUM_BAD, NUM_OK, NUM_SLOW, numStatus, numValue, parseTimestamp, parseValue, tsValue } from "../float";
import { nameError } from "../plain";
import { Reason } from "../layout";

function bytes(s: string): usize {
  // NUL-padded so the parsers' read-ahead stays inside the buffer
  const buf = String.UTF8.encode(s + "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
  return changetype<usize>(buf);
}

describe("fnv1a32", () => {
  it("matches the FNV-1a 32 reference vectors", () => {
    expect(fnv1a32(bytes(""), 0)).toBe(0x811c9dc5);
    expect(fnv1a32(bytes("a"), 1)).toBe(0xe40c292c);
    expect(fnv1a32(bytes("foobar"), 6)).toBe(0xbf9cf968);
    // carbon-c-relay's ground truth (peers.md E.5)
    expect(fnv1a32(bytes("a.b.c"), 5)).toBe(0xd17e547f);
  });
});

describe("parseValue", () => {
  it("parses plain, signed, fractional and exponent forms", () => {
    const p = bytes("-12.5e1 ");
    expect(parseValue(p)).toBe(p + 7);
    expect(numStatus).toBe(NUM_OK);
    expect(numValue).toBe(-125.0);
    parseValue(bytes("12345678901234567 "));
    expect(numValue).toBe(12345678901234568.0);
    parseValue(bytes("0.30000000000000004 "));
    expect(numValue).toBe(0.30000000000000004);
    parseValue(bytes(".5 "));
    expect(numValue).toBe(0.5);
  });

  it("leaves more than 19 significant digits to the JS side", () => {
    parseValue(bytes("12345678901234567890123 "));
    expect(numStatus).toBe(NUM_SLOW);
  });

  it("refuses non-numbers and infinities", () => {
    parseValue(bytes("nan "));
    expect(numStatus).toBe(NUM_BAD);
    parseValue(bytes("1e400 "));
    expect(numStatus).toBe(NUM_BAD);
    parseValue(bytes("1e "));
    expect(numStatus).toBe(NUM_BAD);
  });
});

describe("parseTimestamp", () => {
  it("truncates fractions and reads ten-digit stamps", () => {
    const p = bytes("1700000000.75 ");
    expect(parseTimestamp(p)).toBe(p + 13);
    expect(numStatus).toBe(NUM_OK);
    expect(tsValue).toBe(1700000000);
  });

  it("refuses stamps past 2^32 and hands odd forms to the JS side", () => {
    parseTimestamp(bytes("4294967296 "));
    expect(numStatus).toBe(NUM_BAD);
    parseTimestamp(bytes("1.7e9 "));
    expect(numStatus).toBe(NUM_SLOW);
    parseTimestamp(bytes("-1 "));
    expect(numStatus).toBe(NUM_SLOW);
  });
});

describe("nameError", () => {
  it("accepts ordinary and tagged names", () => {
    expect(nameError(bytes("a.b-c_d:e"), 9)).toBe(-1);
    expect(nameError(bytes("a.b;t=v"), 7)).toBe(-1);
  });

  it("refuses names that could leave the data directory", () => {
    expect(nameError(bytes("a..b"), 4)).toBe(Reason.BAD_NAME);
    expect(nameError(bytes(".a"), 2)).toBe(Reason.BAD_NAME);
    expect(nameError(bytes("a/b"), 3)).toBe(Reason.BAD_NAME);
    expect(nameError(bytes(";t=v"), 4)).toBe(Reason.EMPTY_NAME);
  });
});
