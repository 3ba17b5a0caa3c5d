// The last 15 minutes of /api/status samples, kept in the page: a ring of snapshot times and, for
// every series (a sample name with one set of labels), a ring of its values. Rates are computed
// here from the counters, so the daemon keeps no history for the page.

/** The key of a sample: its name and labels, `name{a="x",b="y"}` as Prometheus writes it. */
export function seriesKey(sample) {
  if (!sample.labels) return sample.name;
  const parts = Object.keys(sample.labels).sort().map((k) => `${k}="${sample.labels[k]}"`);
  return parts.length === 0 ? sample.name : `${sample.name}{${parts.join(",")}}`;
}

/** A fixed number of snapshots of every series. */
export class History {
  /** @param {number} capacity snapshots kept (15 minutes at the update interval) */
  constructor(capacity) {
    this.capacity = capacity;
    /** Snapshot times in epoch seconds (the daemon's clock). */
    this.times = new Float64Array(capacity);
    this.length = 0;
    this.head = 0;
    /** Series by key: `{key, name, labels, type, help, values}`, values a ring of `capacity`. */
    this.series = new Map();
    /** Series keys by sample name, in the order they first appeared. */
    this.families = new Map();
    /** Grows whenever a series is seen for the first time: charts rebuild their plan then. */
    this.version = 0;
  }

  /** Records one snapshot taken at `time` (epoch seconds). */
  push(time, samples) {
    const slot = this.head;
    this.times[slot] = time;
    for (const s of this.series.values()) s.values[slot] = NaN;
    for (const sample of samples) {
      const key = seriesKey(sample);
      let s = this.series.get(key);
      if (s === undefined) {
        s = {
          key,
          name: sample.name,
          labels: sample.labels ?? {},
          type: sample.type,
          help: sample.help,
          values: new Float64Array(this.capacity).fill(NaN),
        };
        this.series.set(key, s);
        const family = this.families.get(sample.name);
        if (family) family.push(key);
        else this.families.set(sample.name, [key]);
        this.version++;
      }
      s.values[slot] = sample.value;
    }
    this.head = (slot + 1) % this.capacity;
    this.length = Math.min(this.length + 1, this.capacity);
  }

  /** Ring slot of the i-th snapshot, oldest first. */
  slot(i) {
    return (this.head - this.length + i + this.capacity) % this.capacity;
  }

  /** Snapshot times, oldest first. */
  xs() {
    const out = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.times[this.slot(i)];
    return out;
  }

  /** A series' values, oldest first; null where it was absent. */
  values(key) {
    const v = this.series.get(key).values;
    const out = new Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const x = v[this.slot(i)];
      out[i] = Number.isNaN(x) ? null : x;
    }
    return out;
  }

  /** A counter's increase per second between snapshots; null first and across a reset. */
  rates(key) {
    const v = this.series.get(key).values;
    const out = new Array(this.length);
    out[0] = null;
    for (let i = 1; i < this.length; i++) {
      const a = this.slot(i - 1), b = this.slot(i);
      out[i] = perSecond(v[a], v[b], this.times[b] - this.times[a]);
    }
    return out;
  }

  /** The latest value of a series, or null. */
  latest(key) {
    const x = this.length === 0 ? NaN : this.series.get(key).values[this.slot(this.length - 1)];
    return Number.isNaN(x) ? null : x;
  }

  /** A counter's latest rate per second, or null before two snapshots. */
  latestRate(key) {
    if (this.length < 2) return null;
    const v = this.series.get(key).values;
    const a = this.slot(this.length - 2), b = this.slot(this.length - 1);
    return perSecond(v[a], v[b], this.times[b] - this.times[a]);
  }

  /** The time of the latest snapshot (epoch seconds). */
  now() {
    return this.length === 0 ? NaN : this.times[this.slot(this.length - 1)];
  }
}

function perSecond(before, after, seconds) {
  if (Number.isNaN(before) || Number.isNaN(after) || after < before || seconds <= 0) return null;
  return (after - before) / seconds;
}
