// Relay routing in wasm (assembly/route.ts): a block of plaintext lines is copied into the
// router's own input buffer and routed with one call, every line sanitized, checked and hashed
// as carbon-c-relay does it, into one output per member; the JS side then takes each member's
// bytes (a copy for its memory buffer, a framed record for its queue file). Byte views handed
// out are valid until the next call into the module.

import { parseTimestampToken, parseValueToken, REJECT_REASONS } from "../protocol/plaintext.ts";
import { GrowingBuffer, type WasmInstance } from "./instance.ts";

/** carbon-c-relay's consistent-hash methods. */
export const ROUTE_METHODS = ["jump_fnv1a_ch", "fnv1a_ch", "carbon_ch"] as const;

/** One of ROUTE_METHODS. */
export type RouteMethod = typeof ROUTE_METHODS[number];

/** A ring entry: a 16-bit position and the member it belongs to. */
export interface RingEntry {
  pos: number;
  member: number;
}

/** What the routed lines came to since begin(). */
export interface RouteCounts {
  /** Lines routed (each to one member or more). */
  lines: number;
  /** Copies written to member outputs. */
  copies: number;
  /** Copies sent to a replacement because the member the hash chose was down. */
  rerouted: number;
  /** Lines refused, by reason (REJECT_REASONS order). */
  rejected: number[];
}

/** Options of {@linkcode WasmRouter.setup}. */
export interface RouterSetup {
  method: RouteMethod;
  replication: number;
  members: number;
  /** Characters allowed in a name besides letters and digits (carbon-c-relay's `-c`). */
  allowedChars: string;
}

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");
/** Smallest input buffer; it grows to the largest block handed in. */
const MIN_INPUT_BYTES = 1 << 16;

/** The routing side of the wasm module. */
export class WasmRouter {
  #wasm: WasmInstance;
  #input: GrowingBuffer;
  #members = 0;
  /** Lines the JS side refused since begin(), by reason (the rare number forms). */
  #slowRejected = REJECT_REASONS.map(() => 0);

  constructor(wasm: WasmInstance) {
    this.#wasm = wasm;
    this.#input = new GrowingBuffer(wasm, MIN_INPUT_BYTES);
  }

  /** Ring entries per member of fnv1a_ch and carbon_ch (carbon's 100). */
  get ringReplicas(): number {
    return this.#wasm.layout.ROUTE_RING_REPLICAS;
  }

  /** Most members and most replicas the module routes to. */
  get limits(): { members: number; replication: number } {
    const L = this.#wasm.layout;
    return { members: L.ROUTE_MAX_MEMBERS, replication: L.ROUTE_MAX_REPLICATION };
  }

  /**
   * Sets the method, replication, member count and allowed characters; outputs are emptied and
   * every member is up, in config order, until setOrder()/setRing().
   *
   * @throws {RangeError} when the counts are beyond the module's limits
   */
  setup(opts: RouterSetup): void {
    const allowed = encoder.encode(opts.allowedChars);
    const ptr = this.#input.at(allowed.length);
    this.#wasm.u8.set(allowed, ptr);
    const method = ROUTE_METHODS.indexOf(opts.method);
    if (!this.#wasm.ex.routeSetup(method, opts.replication, opts.members, ptr, allowed.length)) {
      const { members, replication } = this.limits;
      throw new RangeError(
        `Cannot route to ${opts.members} members with replication ${opts.replication}: ` +
          `expected 1 to ${members} members and 1 to min(members, ${replication}) replicas`,
      );
    }
    this.#members = opts.members;
  }

  /** jump_fnv1a_ch: the member index of each bucket. */
  setOrder(order: readonly number[]): void {
    const base = this.#wasm.ex.routeOrderPtr();
    const view = this.#wasm.view;
    order.forEach((m, i) => view.setUint16(base + 2 * i, m, true));
  }

  /** fnv1a_ch and carbon_ch: the ring, sorted by position. */
  setRing(entries: readonly RingEntry[]): void {
    const base = this.#wasm.ex.routeRingReserve(entries.length);
    if (base === 0) throw new RangeError("Cannot hold the hash ring: wasm memory is full");
    const L = this.#wasm.layout;
    const view = this.#wasm.view;
    entries.forEach((e, i) => {
      view.setUint16(base + i * L.RING_SIZE + L.RING_POS, e.pos, true);
      view.setUint16(base + i * L.RING_SIZE + L.RING_MEMBER, e.member, true);
    });
  }

  /** The ring position of `key` (a ring member's key or a metric name) under `method`. */
  ringPosition(method: "fnv1a_ch" | "carbon_ch", key: string): number {
    const bytes = encoder.encode(key);
    const ptr = this.#input.at(bytes.length);
    this.#wasm.u8.set(bytes, ptr);
    return this.#wasm.ex.routeRingPosition(ROUTE_METHODS.indexOf(method), ptr, bytes.length);
  }

  /** Marks a member down (route() then sends its lines to a replacement) or up. */
  setDown(member: number, down: boolean): void {
    this.#wasm.ex.routeSetDown(member, down ? 1 : 0);
  }

  /** Empties the outputs and the counters. */
  begin(): void {
    this.#wasm.ex.routeBegin();
    this.#slowRejected.fill(0);
  }

  /**
   * Routes the complete lines of `bytes` into the member outputs (added to what is there since
   * begin()); returns the bytes consumed. With `only` >= 0, only member `only`'s replicas are
   * routed, to their replacements (a down member's queue being rerouted).
   *
   * @throws {RangeError} when an output cannot grow (wasm memory is full)
   */
  route(bytes: Uint8Array, only = -1): number {
    const consumed = this.#route(bytes, only, false);
    const slow = this.#slowLines(bytes);
    if (slow !== null) this.#route(slow, only, true);
    return consumed;
  }

  #route(bytes: Uint8Array, only: number, trusted: boolean): number {
    const ptr = this.#input.at(bytes.length);
    this.#wasm.u8.set(bytes, ptr);
    const consumed = this.#wasm.ex.route(ptr, bytes.length, only, trusted ? 1 : 0);
    if (this.#wasm.ex.routeFailed() !== 0) {
      throw new RangeError("Cannot route: wasm memory is full");
    }
    return consumed;
  }

  /**
   * The lines the last route() left to the JS side (numbers only the reference parser reads),
   * those it passes joined for a trusted route(), or null; the others are counted.
   */
  #slowLines(bytes: Uint8Array): Uint8Array | null {
    const ex = this.#wasm.ex;
    const n = ex.routeSlowCount();
    if (n === 0) return null;
    const base = ex.routeSlowPtr();
    const view = this.#wasm.view;
    const good: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const at = view.getUint32(base + 8 * i, true);
      const line = bytes.subarray(at, at + view.getUint32(base + 8 * i + 4, true));
      const fields = latin1.decode(line).trim().split(/[ \t]+/);
      if (Number.isNaN(parseValueToken(encoder.encode(fields[1])))) {
        this.#slowRejected[REJECT_REASONS.indexOf("bad_value")]++;
      } else if (Number.isNaN(parseTimestampToken(encoder.encode(fields[2])))) {
        this.#slowRejected[REJECT_REASONS.indexOf("bad_timestamp")]++;
      } else {
        good.push(line);
      }
    }
    if (good.length === 0) return null;
    const out = new Uint8Array(good.reduce((sum, l) => sum + l.length, 0));
    let at = 0;
    for (const l of good) {
      out.set(l, at);
      at += l.length;
    }
    return out;
  }

  /** What route() came to since begin(). */
  counts(): RouteCounts {
    const L = this.#wasm.layout;
    const slots = this.#slots(this.#wasm.ex.routeCountersPtr(), L.RC_SLOTS);
    return {
      lines: slots[L.RC_LINES],
      copies: slots[L.RC_COPIES],
      rerouted: slots[L.RC_REROUTED],
      rejected: REJECT_REASONS.map((_, i) => slots[L.RC_REJECTED + i] + this.#slowRejected[i]),
    };
  }

  #slots(base: number, n: number): number[] {
    const view = this.#wasm.view;
    return Array.from({ length: n }, (_, i) => Number(view.getBigUint64(base + 8 * i, true)));
  }

  /** Member `m`'s output since begin(): its length in bytes and its lines. */
  output(m: number): { bytes: number; lines: number } {
    const L = this.#wasm.layout;
    const o = this.#wasm.ex.routeOutputsPtr() + m * L.MOUT_SIZE;
    const view = this.#wasm.view;
    return {
      bytes: view.getUint32(o + L.MOUT_LEN, true),
      lines: view.getUint32(o + L.MOUT_LINES, true),
    };
  }

  /** A view of bytes [from, to) of member `m`'s output (valid until the next wasm call). */
  outputView(m: number, from: number, to: number): Uint8Array {
    const L = this.#wasm.layout;
    const o = this.#wasm.ex.routeOutputsPtr() + m * L.MOUT_SIZE;
    const ptr = this.#wasm.view.getUint32(o + L.MOUT_PTR, true);
    return this.#wasm.u8.subarray(ptr + from, ptr + to);
  }

  /**
   * Bytes [from, to) of member `m`'s output framed as one WAL record after `header` (at most 16
   * bytes), for a segment at offset `segOff`: a view valid until the next wasm call, or null
   * when the record does not fit before `segSize`.
   */
  frameOutput(
    m: number,
    range: { from: number; to: number },
    header: Uint8Array,
    segment: { offset: number; size: number },
  ): Uint8Array | null {
    const ex = this.#wasm.ex;
    const L = this.#wasm.layout;
    const hdr = ex.queueHeaderPtr();
    this.#wasm.u8.set(header, hdr);
    const o = ex.routeOutputsPtr() + m * L.MOUT_SIZE;
    const ptr = this.#wasm.view.getUint32(o + L.MOUT_PTR, true);
    const n = ex.walEncodeRecord(
      hdr,
      header.length,
      ptr + range.from,
      range.to - range.from,
      segment.offset,
      segment.size,
    );
    if (n === -1) return null;
    if (n < 0) throw new RangeError("Cannot frame a queue record: wasm memory is full");
    const out = ex.walOutPtr();
    return this.#wasm.u8.subarray(out, out + n);
  }

  /** Members set up. */
  get members(): number {
    return this.#members;
  }
}
