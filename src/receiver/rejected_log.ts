// Rejected lines are logged at info with the peer and the count by reason, rate-limited (at
// most 10 lines a minute per protocol, then how many were suppressed), as go-carbon logs
// "parse failed" and VictoriaMetrics rate-limits its own.

import { Logger, RateLimiter } from "../log/logger.ts";
import type { CommitResult } from "../appender/appender.ts";

/** Logs the refusals of committed batches of one protocol. */
export class RejectedLog {
  #log: Logger;
  #limit = new RateLimiter(10, 60_000);

  constructor(protocol: string) {
    this.#log = new Logger(protocol);
  }

  /** Logs the batch's refusals, if any and if the rate allows. */
  note(result: CommitResult, peer: string): void {
    if (result.rejected === 0) return;
    const suppressed = this.#limit.allow();
    if (suppressed < 0) return;
    this.#log.info("lines rejected", {
      peer,
      rejected: result.rejected,
      reasons: result.rejectedBy,
      suppressed,
    });
  }
}
