// The limit on new Whisper files per second (`[carbonserver] max-creates-per-second`), as
// go-carbon's persister applies it (persister/throttle.go, maxCreatesThrottling): soft, a token
// bucket refilled at the rate and holding one second's worth, a new series past it waits in the
// cache for a later pass; hard (`whisper.hard-max-creates-per-second`), a count per second, a new
// series past it has its points dropped. Each create past the limit is counted and logged.

/** What to do with a series whose file does not exist yet. */
export type CreateVerdict = "create" | "wait" | "drop";

/** Options of {@linkcode CreateThrottle}. */
export interface CreateThrottleOptions {
  /** New files per second; 0: no limit. */
  perSecond: number;
  /** Past the limit, drop the series' points instead of keeping them for later. */
  hard: boolean;
}

/** Decides, one new file at a time, whether it may be created now. */
export class CreateThrottle {
  readonly #perSecond: number;
  readonly #hard: boolean;
  #tokens: number;
  /** When the bucket was last topped up; the first take finds it full. */
  #at = -Infinity;
  /** The start of the hard limit's current second; the first take starts one. */
  #windowStart = -Infinity;
  #inWindow = 0;

  constructor(opts: CreateThrottleOptions) {
    this.#perSecond = opts.perSecond;
    this.#hard = opts.hard;
    this.#tokens = opts.perSecond;
  }

  /** True when there is a limit at all. */
  get enabled(): boolean {
    return this.#perSecond > 0;
  }

  /** Takes one create from this second's budget, or says what to do instead. */
  take(now = performance.now()): CreateVerdict {
    if (this.#perSecond <= 0) return "create";
    if (this.#hard) {
      if (now - this.#windowStart >= 1000) {
        this.#windowStart = now;
        this.#inWindow = 0;
      }
      if (this.#inWindow >= this.#perSecond) return "drop";
      this.#inWindow++;
      return "create";
    }
    this.#tokens = Math.min(
      this.#perSecond,
      this.#tokens + ((now - this.#at) * this.#perSecond) / 1000,
    );
    this.#at = now;
    if (this.#tokens < 1) return "wait";
    this.#tokens--;
    return "create";
  }
}
