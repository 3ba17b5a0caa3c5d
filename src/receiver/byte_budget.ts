// A budget of bytes shared by the connections of one listener (`pickle.max-buffered-size`):
// a connection takes a frame's bytes before reading its body and gives them back once the frame
// is handled; when the budget is spent it waits, reading nothing, so the kernel's socket
// buffers and TCP flow control hold the sender back instead of the daemon's memory. Waiters
// are served in arrival order; a frame larger than the whole budget goes alone.

/** Thrown to waiters when the budget is closed (the listener is stopping). */
export class BudgetClosedError extends Error {
  constructor() {
    super("Cannot take buffer bytes: the listener is stopping");
    this.name = "BudgetClosedError";
  }
}

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Bytes handed out against a limit, with a queue of connections waiting for them. */
export class ByteBudget {
  readonly limit: number;
  #used = 0;
  #peak = 0;
  #waits = 0;
  #queue: Waiter[] = [];
  #closed = false;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** Most bytes held at once. */
  get peak(): number {
    return this.#peak;
  }

  /** Times a connection had to wait. */
  get waits(): number {
    return this.#waits;
  }

  /** Connections waiting now. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Takes `bytes`, waiting while they do not fit (a request larger than the limit waits until
   * nothing else is held).
   *
   * @throws {BudgetClosedError} once {@linkcode close} was called
   */
  acquire(bytes: number): Promise<void> {
    if (this.#closed) return Promise.reject(new BudgetClosedError());
    if (this.#queue.length === 0 && this.#fits(bytes)) {
      this.#take(bytes);
      return Promise.resolve();
    }
    this.#waits++;
    return new Promise((resolve, reject) => this.#queue.push({ bytes, resolve, reject }));
  }

  /** Gives back bytes taken by {@linkcode acquire} and wakes the waiters that now fit. */
  release(bytes: number): void {
    this.#used -= bytes;
    while (this.#queue.length > 0 && this.#fits(this.#queue[0].bytes)) {
      const w = this.#queue.shift()!;
      this.#take(w.bytes);
      w.resolve();
    }
  }

  /** Refuses every waiter and every later request (stop). */
  close(): void {
    this.#closed = true;
    for (const w of this.#queue.splice(0)) w.reject(new BudgetClosedError());
  }

  #fits(bytes: number): boolean {
    return this.#used + bytes <= this.limit || this.#used === 0;
  }

  #take(bytes: number): void {
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
  }
}
