// `[relay] local = true`: every batch goes both into the cache (and so the WAL, Whisper and the
// query side) and through the relay. A receiver sees the cache's counts; the relay reports its
// own (`carbonado_relay_*`). The relay gets the batch first, so that a point counted as received
// is queued for its destinations as well.

import type { Appendable, Appender } from "../appender/appender.ts";

/** Feeds two appendables the same batches. */
export class TeeAppendable implements Appendable {
  #local: Appendable;
  #relay: Appendable;

  constructor(local: Appendable, relay: Appendable) {
    this.#local = local;
    this.#relay = relay;
  }

  appender(): Appender {
    const local = this.#local.appender();
    const relay = this.#relay.appender();
    return {
      appendPlain: (bytes) => {
        relay.appendPlain(bytes);
        return local.appendPlain(bytes);
      },
      commitPlain: (bytes) => {
        relay.commitPlain(bytes);
        return local.commitPlain(bytes);
      },
      appendPoints: (names, timestamps, values) => {
        relay.appendPoints(names, timestamps, values);
        local.appendPoints(names, timestamps, values);
      },
      reject: (reason, n) => {
        relay.reject(reason, n);
        local.reject(reason, n);
      },
      appendInflux: (bytes, opts) => {
        relay.appendInflux(bytes, opts);
        return local.appendInflux(bytes, opts);
      },
      appendOpenTsdb: (bytes, opts) => {
        relay.appendOpenTsdb(bytes, opts);
        return local.appendOpenTsdb(bytes, opts);
      },
      appendRemoteWrite: (body, opts) => {
        relay.appendRemoteWrite(body, opts);
        return local.appendRemoteWrite(body, opts);
      },
      appendExposition: (body, cache, opts) => {
        relay.appendExposition(body, cache, opts);
        return local.appendExposition(body, cache, opts);
      },
      staged: () => local.staged(),
      commit: () => {
        relay.commit();
        return local.commit();
      },
      rollback: () => {
        relay.rollback();
        local.rollback();
      },
    };
  }
}
