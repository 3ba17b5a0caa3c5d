// Decimal number parsing for values and timestamps, correct to the last bit.
// Common forms take Clinger's exact fast path or the Eisel-Lemire algorithm (Lemire 2021) over
// a 128-bit power-of-five table; the rare rest (more than 19 significant digits, ambiguous
// halfway cases, subnormals, odd timestamps) is reported as NUM_SLOW for the JS side to finish.

import { Char } from "./layout";
import { POW5_MAX_EXP, POW5_MIN_EXP, POW5_TABLE } from "./pow5_table";

export const NUM_OK: i32 = 0;
export const NUM_SLOW: i32 = 1; // valid syntax, but the JS side must compute the result
export const NUM_BAD: i32 = 2; // not a number, or not finite / out of range

/** Result of the last parseValue(). */
export let numValue: f64 = 0;
/** Result of the last parseTimestamp(). */
export let tsValue: u32 = 0;
/** Status of the last parseValue() or parseTimestamp(). */
export let numStatus: i32 = NUM_OK;

const POW10: usize = memory.data<f64>([
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]);
const MAX_EXACT_INT: u64 = 1 << 53;
const MAX_DIGITS: i32 = 19; // every 19-digit decimal fits in a u64

// @ts-ignore: decorator
@inline function isDigit(c: u32): bool {
  return c - Char.ZERO <= 9;
}

/** True when the 8 bytes of `x` (little-endian) are all ASCII digits. */
// @ts-ignore: decorator
@inline function allDigits8(x: u64): bool {
  return ((x & 0xf0f0f0f0f0f0f0f0) | (((x + 0x0606060606060606) & 0xf0f0f0f0f0f0f0f0) >> 4)) ==
    0x3333333333333333;
}

/** The value of 8 ASCII digits loaded little-endian (first digit most significant). */
// @ts-ignore: decorator
@inline function digits8(x: u64): u64 {
  x -= 0x3030303030303030;
  x = (x * 10 + (x >> 8)) & 0x00ff00ff00ff00ff;
  x = (x * 100 + (x >> 16)) & 0x0000ffff0000ffff;
  return (x * 10000 + (x >> 32)) & 0xffffffff;
}

let mulHigh: u64 = 0;

/** Low 64 bits of a * b; the high 64 bits go to mulHigh. */
// @ts-ignore: decorator
@inline function mul128(a: u64, b: u64): u64 {
  const aLo = a & 0xffffffff;
  const aHi = a >> 32;
  const bLo = b & 0xffffffff;
  const bHi = b >> 32;
  const p0 = aLo * bLo;
  const p1 = aLo * bHi;
  const p2 = aHi * bLo;
  const p3 = aHi * bHi;
  const mid = (p0 >> 32) + (p1 & 0xffffffff) + (p2 & 0xffffffff);
  mulHigh = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
  return (mid << 32) | (p0 & 0xffffffff);
}

/**
 * man * 10^exp10 rounded to nearest-even, for man != 0 with at most 19 digits.
 * Sets numStatus to NUM_SLOW when the product is too close to a halfway point to decide with
 * 128 bits, or the result is subnormal; NUM_BAD when it overflows to infinity.
 */
function eiselLemire(man: u64, exp10: i32, negative: bool): f64 {
  if (exp10 < POW5_MIN_EXP) return negative ? -0.0 : 0.0; // below half the smallest subnormal
  if (exp10 > POW5_MAX_EXP) {
    numStatus = NUM_BAD;
    return 0;
  }
  const lz = <i32>clz<u64>(man);
  man <<= lz;
  // Biased binary exponent of the result, before the final normalisation (floor(log2(10)) * exp10
  // computed as (217706 * exp10) >> 16, exact over the table's range).
  let exp2 = <i64>(((217706 * exp10) >> 16) + 64 + 1023 - lz);
  const entry = POW5_TABLE + (<usize>(exp10 - POW5_MIN_EXP) << 4);
  const tHi = load<u64>(entry);
  const tLo = load<u64>(entry, 8);
  let lo = mul128(man, tHi);
  let hi = mulHigh;
  if ((hi & 0x1ff) == 0x1ff && lo + man < man) {
    // The truncated table entry may be too small: add the product with its low half.
    const lo2 = mul128(man, tLo);
    const hi2 = mulHigh;
    const mergedLo = lo + hi2;
    const mergedHi = hi + <u64>(mergedLo < lo);
    if ((mergedHi & 0x1ff) == 0x1ff && mergedLo + 1 == 0 && lo2 + man < man) {
      numStatus = NUM_SLOW;
      return 0;
    }
    lo = mergedLo;
    hi = mergedHi;
  }
  const top = hi >> 63;
  let mantissa = hi >> (top + 9);
  exp2 -= <i64>(1 ^ top);
  if (lo == 0 && (hi & 0x1ff) == 0 && (mantissa & 3) == 1) {
    numStatus = NUM_SLOW; // exactly halfway at this precision: cannot tell which way to round
    return 0;
  }
  mantissa += mantissa & 1;
  mantissa >>= 1;
  if (mantissa >> 53 != 0) {
    mantissa >>= 1;
    exp2++;
  }
  if (exp2 <= 0) {
    numStatus = NUM_SLOW; // subnormal
    return 0;
  }
  if (exp2 >= 0x7ff) {
    numStatus = NUM_BAD; // infinite
    return 0;
  }
  let bits = (<u64>exp2 << 52) | (mantissa & 0x000fffffffffffff);
  if (negative) bits |= 0x8000000000000000;
  return reinterpret<f64>(bits);
}

/**
 * Parses a decimal float at `p`: `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`.
 * Returns the first byte after the number syntax; sets numValue and numStatus (NUM_BAD when
 * there is no number there or it is not finite). The caller checks what follows.
 */
export function parseValue(p: usize): usize {
  numStatus = NUM_OK;
  let negative = false;
  let c = <u32>load<u8>(p);
  if (c == Char.MINUS) {
    negative = true;
    c = <u32>load<u8>(++p);
  } else if (c == Char.PLUS) {
    c = <u32>load<u8>(++p);
  }
  let man: u64 = 0;
  let digits: i32 = 0; // significant digits seen
  let exp10: i32 = 0;
  let any = false;
  while (c == Char.ZERO) {
    any = true;
    c = <u32>load<u8>(++p);
  }
  while (digits <= MAX_DIGITS - 8) {
    const x = load<u64>(p);
    if (!allDigits8(x)) break;
    man = man * 100000000 + digits8(x);
    digits += 8;
    p += 8;
    any = true;
  }
  c = <u32>load<u8>(p);
  while (isDigit(c)) {
    if (digits < MAX_DIGITS) man = man * 10 + <u64>(c - Char.ZERO);
    else exp10++;
    digits++;
    any = true;
    c = <u32>load<u8>(++p);
  }
  if (c == Char.DOT) {
    c = <u32>load<u8>(++p);
    if (digits == 0) {
      while (c == Char.ZERO) {
        exp10--;
        any = true;
        c = <u32>load<u8>(++p);
      }
    }
    while (digits <= MAX_DIGITS - 8) {
      const x = load<u64>(p);
      if (!allDigits8(x)) break;
      man = man * 100000000 + digits8(x);
      digits += 8;
      exp10 -= 8;
      p += 8;
      any = true;
    }
    c = <u32>load<u8>(p);
    while (isDigit(c)) {
      if (digits < MAX_DIGITS) {
        man = man * 10 + <u64>(c - Char.ZERO);
        exp10--;
      }
      digits++;
      any = true;
      c = <u32>load<u8>(++p);
    }
  }
  if (!any) {
    numStatus = NUM_BAD;
    return p;
  }
  if ((c | 0x20) == Char.E_LOWER) {
    let q = p + 1;
    let e = <u32>load<u8>(q);
    let expNegative = false;
    if (e == Char.MINUS) {
      expNegative = true;
      e = <u32>load<u8>(++q);
    } else if (e == Char.PLUS) {
      e = <u32>load<u8>(++q);
    }
    if (!isDigit(e)) {
      numStatus = NUM_BAD;
      return q;
    }
    let n: i32 = 0;
    while (isDigit(e)) {
      if (n < 100000) n = n * 10 + <i32>(e - Char.ZERO);
      e = <u32>load<u8>(++q);
    }
    exp10 += expNegative ? -n : n;
    p = q;
  }
  if (digits > MAX_DIGITS) {
    numStatus = NUM_SLOW;
    return p;
  }
  if (man == 0) {
    numValue = negative ? -0.0 : 0.0;
  } else if (exp10 >= -22 && exp10 <= 22 && man <= MAX_EXACT_INT) {
    // Clinger: both operands exact, so one correctly rounded operation gives the answer.
    const m = <f64>man;
    const v = exp10 < 0
      ? m / load<f64>(POW10 + (<usize>(-exp10) << 3))
      : m * load<f64>(POW10 + (<usize>exp10 << 3));
    numValue = negative ? -v : v;
  } else {
    numValue = eiselLemire(man, exp10, negative);
  }
  return p;
}

/**
 * Parses a timestamp at `p`: an integer, or a decimal whose fraction is truncated, that must
 * fit in u32 seconds. Exponents, signs and long fractions are NUM_SLOW for the JS side.
 * Returns the first byte after the syntax; sets tsValue and numStatus.
 */
export function parseTimestamp(p: usize): usize {
  numStatus = NUM_OK;
  let c = <u32>load<u8>(p);
  if (c == Char.PLUS) {
    c = <u32>load<u8>(++p);
  } else if (c == Char.MINUS) {
    numStatus = NUM_SLOW; // "-0" and "-0.5" truncate to 0: let the reference decide
    return skipToken(p);
  }
  let v: u64 = 0;
  let digits: i32 = 0;
  let any = false;
  while (c == Char.ZERO) {
    any = true;
    c = <u32>load<u8>(++p);
  }
  const x = load<u64>(p);
  if (allDigits8(x)) {
    v = digits8(x);
    digits = 8;
    p += 8;
    any = true;
    c = <u32>load<u8>(p);
  }
  while (isDigit(c)) {
    if (digits < MAX_DIGITS) v = v * 10 + <u64>(c - Char.ZERO);
    digits++;
    any = true;
    c = <u32>load<u8>(++p);
  }
  if (c == Char.DOT) {
    c = <u32>load<u8>(++p);
    let fraction: i32 = 0;
    while (isDigit(c)) {
      fraction++;
      any = true;
      c = <u32>load<u8>(++p);
    }
    // Up to 6 fraction digits can never round the integer part up in a float64.
    if (fraction > 6) numStatus = NUM_SLOW;
  }
  if (!any) {
    numStatus = NUM_BAD;
    return p;
  }
  if ((c | 0x20) == Char.E_LOWER) {
    numStatus = NUM_SLOW;
    return skipToken(p);
  }
  if (digits > 10 || v > 0xffffffff) {
    if (numStatus == NUM_OK) numStatus = NUM_BAD;
  }
  tsValue = <u32>v;
  return p;
}

/** The first byte at or after `p` that is a space, tab or control character. */
function skipToken(p: usize): usize {
  while (load<u8>(p) > <u8>Char.SPACE) p++;
  return p;
}
