// The daemon's one timer for wall-clock deadlines. The chores that repeat on multiples of their
// period (aligned_interval.ts: the WAL's fdatasync, the listeners' sweeps, the tag sync) and the
// scrapes that start on slots (scrape/scrape_loop.ts) register their deadlines here; one
// setTimeout, armed for the earliest, runs everything due by then in one wakeup, and nothing
// before its deadline by Date.now() (a scrape's timestamp is the second it starts in). Timers of
// their own would each round their delay on their own and split one second's work over two or
// three wakeups a few milliseconds apart, and every wakeup of Deno after an idle spell costs
// 0.3-0.45 ms of CPU on the benchmark VM (docs/benchmarks.md, "Scraping end to end").

/** A registered deadline. */
export interface WallDeadline {
  /** Drops it (its callback is not called); the timer stops when nothing is left. */
  cancel(): void;
}

interface Entry {
  fn: () => void;
  live: boolean;
}

/** Deadline (ms since the epoch) -> what is due at it. */
const due = new Map<number, Set<Entry>>();
/** The distinct deadlines of `due`, a binary min-heap (a cancelled one stays until popped). */
const heap: number[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;
let armedFor = Infinity;

function heapPush(at: number): void {
  let i = heap.push(at) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent] <= at) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = at;
}

function heapPop(): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  let i = 0;
  while (true) {
    let child = 2 * i + 1;
    if (child >= heap.length) break;
    if (child + 1 < heap.length && heap[child + 1] < heap[child]) child++;
    if (heap[child] >= last) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = last;
}

/** The earliest deadline with something due, dropping emptied ones from the heap's top. */
function earliest(): number {
  while (heap.length > 0 && !due.has(heap[0])) heapPop();
  return heap.length > 0 ? heap[0] : Infinity;
}

/** Sets the timer for the earliest deadline (none when nothing is due). */
function arm(): void {
  const first = earliest();
  if (first === armedFor) return;
  clearTimeout(timer);
  timer = undefined;
  armedFor = first;
  if (first !== Infinity) timer = setTimeout(fire, Math.max(0, first - Date.now()));
}

/** Runs everything due by now, then re-arms (for the rest, or for a deadline not yet due). */
function fire(): void {
  timer = undefined;
  armedFor = Infinity;
  const now = Date.now();
  const run: Entry[] = [];
  while (earliest() <= now) {
    const at = heap[0];
    heapPop();
    for (const entry of due.get(at)!) run.push(entry);
    due.delete(at);
  }
  arm();
  let failure: unknown = undefined;
  for (const entry of run) {
    if (!entry.live) continue;
    entry.live = false;
    try {
      entry.fn();
    } catch (err) {
      failure ??= err;
    }
  }
  // as a failing setTimeout callback would, once the others have run
  if (failure !== undefined) throw failure;
}

/** Calls `fn` once at `atMs` (ms since the epoch), in one wakeup with whatever else is due. */
export function atWallTime(atMs: number, fn: () => void): WallDeadline {
  const entry: Entry = { fn, live: true };
  let set = due.get(atMs);
  if (!set) {
    due.set(atMs, set = new Set());
    heapPush(atMs);
  }
  set.add(entry);
  if (atMs < armedFor) arm();
  return {
    cancel() {
      if (!entry.live) return;
      entry.live = false;
      const set = due.get(atMs);
      if (!set) return;
      set.delete(entry);
      if (set.size === 0) {
        due.delete(atMs);
        if (atMs === armedFor) arm();
      }
    },
  };
}
