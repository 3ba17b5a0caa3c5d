// Consolidation functions for propagating points into lower-precision archives, computed in the
// same order and with the same float operations as whisper.py's `aggregate` under CPython 3.11
// (left-to-right `sum`, `max`/`min` keeping the first of equal values), so results match bit for
// bit. CPython 3.12+ `sum` uses compensated summation and may differ in the last bits.

/** Aggregation type codes as stored in the header (1-based). */
export const enum AggregationType {
  Average = 1,
  Sum = 2,
  Last = 3,
  Max = 4,
  Min = 5,
  AvgZero = 6,
  AbsMax = 7,
  AbsMin = 8,
}

/** The points of a higher archive under one lower-archive interval; reused between calls. */
export interface Neighbours {
  /** Values; only those marked known are meaningful. */
  values: Float64Array;
  /** 1 where the slot held a point for its expected time, else 0. */
  known: Uint8Array;
  /** Number of neighbours (the leading entries of the arrays). */
  count: number;
}

/**
 * Aggregates the neighbours into one value. At least one must be known. `avg_zero` counts
 * unknown values as 0 and divides by `count`; every other method looks only at known values.
 */
export function aggregate(type: AggregationType, neighbours: Neighbours): number {
  const { values, known, count } = neighbours;
  switch (type) {
    case AggregationType.Average:
    case AggregationType.Sum: {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < count; i++) {
        if (known[i] === 1) {
          sum += values[i];
          n++;
        }
      }
      return type === AggregationType.Sum ? sum : sum / n;
    }
    case AggregationType.Last: {
      for (let i = count - 1; i >= 0; i--) if (known[i] === 1) return values[i];
      break;
    }
    case AggregationType.Max:
    case AggregationType.Min:
    case AggregationType.AbsMax:
    case AggregationType.AbsMin: {
      const useAbs = type === AggregationType.AbsMax || type === AggregationType.AbsMin;
      const greater = type === AggregationType.Max || type === AggregationType.AbsMax;
      let best = NaN;
      let bestKey = NaN;
      let first = true;
      for (let i = 0; i < count; i++) {
        if (known[i] !== 1) continue;
        const v = values[i];
        const key = useAbs ? Math.abs(v) : v;
        // Python's max()/min() replace the current pick only on a strict comparison, so the
        // first of equal values (and a leading NaN) stays.
        if (first || (greater ? key > bestKey : key < bestKey)) {
          best = v;
          bestKey = key;
          first = false;
        }
      }
      return best;
    }
    case AggregationType.AvgZero: {
      let sum = 0;
      for (let i = 0; i < count; i++) if (known[i] === 1) sum += values[i];
      return sum / count;
    }
  }
  throw new RangeError(`Unknown aggregation type ${type}`);
}
