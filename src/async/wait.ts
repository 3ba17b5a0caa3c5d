// The daemon's one wakeable wait (remote-write sender, persister, relay senders, listeners):
// resolves after a delay, when a stop signal aborts, or when something else wakes it, and leaves
// no timer or listener behind (tests run with Deno's leak sanitizers, and a stop must not wait out
// a sleep). Also one event-loop turn without a timer.

/**
 * Resolves after `ms` (never with Infinity), when `signal` aborts, or when the function `onWake` is given calls back;
 * `onWake` returns how to unregister that callback.
 */
export function wait(
  ms: number,
  opts: { signal?: AbortSignal; onWake?: (wake: () => void) => () => void } = {},
): Promise<void> {
  const { signal } = opts;
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    let unregister = () => {};
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      unregister();
      resolve();
    };
    const timer = ms === Infinity ? undefined : setTimeout(done, ms);
    signal?.addEventListener("abort", done);
    if (opts.onWake) unregister = opts.onWake(done);
  });
}

/**
 * Resolves after one turn of the event loop (answers, timers and file completions run first),
 * without a timer: Deno holds even a 0 ms timeout for a millisecond or more.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
    channel.port2.close();
  });
}
