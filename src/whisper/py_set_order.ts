// The iteration order of CPython 3.11's `set` of small non-negative integers. whisper.py
// propagates to a lower archive in the order of `set(lowerIntervals)`; when that archive is still
// empty the first interval written becomes its base, which decides where every later point
// lands. Reproducing the order keeps our files byte-identical to whisper.py's.
// The model (Objects/setobject.c, 3.11): table of 8 slots, an int hashes to itself, probe the
// home slot and the next 9 when they fit, then jump i = (5i + 1 + perturb) mod size with perturb
// shifted right 5 bits per jump; grow to the smallest power of two above 4 * used when
// fill * 5 >= mask * 3, reinserting in slot order; iterate in slot order.

const MIN_SIZE = 8;
const LINEAR_PROBES = 9;
const PERTURB_SHIFT_DIVISOR = 32;

let table = new Int32Array(MIN_SIZE);
let spare = new Int32Array(MIN_SIZE);

function insert(slots: Int32Array, mask: number, hash: number, item: number): void {
  let i = hash % (mask + 1);
  let perturb = hash;
  for (;;) {
    if (slots[i] < 0) {
      slots[i] = item;
      return;
    }
    if (i + LINEAR_PROBES <= mask) {
      for (let j = 1; j <= LINEAR_PROBES; j++) {
        if (slots[i + j] < 0) {
          slots[i + j] = item;
          return;
        }
      }
    }
    perturb = Math.floor(perturb / PERTURB_SHIFT_DIVISOR);
    i = (i * 5 + 1 + perturb) % (mask + 1);
  }
}

/** Options for {@linkcode pythonSetOrder}. */
export interface SetOrderOptions {
  /** How many leading values to take. Default all. */
  count?: number;
}

/**
 * Writes to `order` the indices of the values in the order CPython 3.11 iterates a set built by
 * adding them one by one. The values must be distinct integers in [0, 2^53).
 */
export function pythonSetOrder(
  values: ArrayLike<number>,
  order: Uint32Array,
  options: SetOrderOptions = {},
): void {
  const count = options.count ?? values.length;
  let size = MIN_SIZE;
  if (table.length < size) table = new Int32Array(size);
  table.fill(-1, 0, size);
  let fill = 0;
  for (let n = 0; n < count; n++) {
    const mask = size - 1;
    insert(table, mask, values[n], n);
    fill++;
    if (fill * 5 >= mask * 3) {
      const minUsed = fill > 50000 ? fill * 2 : fill * 4;
      let newSize = MIN_SIZE;
      while (newSize <= minUsed) newSize *= 2;
      if (spare.length < newSize) spare = new Int32Array(newSize);
      spare.fill(-1, 0, newSize);
      for (let i = 0; i < size; i++) {
        const item = table[i];
        if (item >= 0) insert(spare, newSize - 1, values[item], item);
      }
      const swap = table;
      table = spare;
      spare = swap;
      size = newSize;
    }
  }
  let k = 0;
  for (let i = 0; i < size; i++) if (table[i] >= 0) order[k++] = table[i];
}
