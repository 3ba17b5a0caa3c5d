// Names of the series in the cache that are not on disk yet, so that finds and renders see a
// metric the moment its first point is accepted. Fed from the wasm table's record of new series;
// a name leaves when the persister creates its file (it is then in the disk index). Tagged
// names (holding `;`) are not paths: they go to the tag database instead of the trie.

import type { GlobOptions } from "./glob.ts";
import { NameTrie } from "./name_trie.ts";
import type { WasmDrain } from "../wasm/drain.ts";

/** What the disk index answers here. */
export interface OnDisk {
  has(name: string): boolean;
}

/** The cache-only part of the name index. */
export class CacheNames {
  #cache: WasmDrain;
  #disk?: OnDisk;
  #glob: GlobOptions;
  #trie: NameTrie;
  #onTagged?: (name: string) => void;

  /** `onTagged` receives each new tagged series (the tag database). */
  constructor(
    cache: WasmDrain,
    disk?: OnDisk,
    glob: GlobOptions = {},
    onTagged?: (name: string) => void,
  ) {
    this.#cache = cache;
    this.#disk = disk;
    this.#glob = glob;
    this.#trie = new NameTrie(glob);
    this.#onTagged = onTagged;
  }

  /** The names, up to date as of the last sync(). */
  get trie(): NameTrie {
    return this.#trie;
  }

  /** Takes in the series created since the last call (every series after an overflow). */
  sync(): void {
    let fresh = this.#cache.takeNewSeries();
    if (fresh === null) {
      this.#trie = new NameTrie(this.#glob);
      fresh = this.#cache.allSeries();
    }
    for (const series of fresh) {
      const name = this.#cache.seriesName(series);
      // the handle may have been freed and reused since: trust it only if it still names itself
      if (this.#cache.lookup(name) !== series) continue;
      if (name.includes(";")) {
        this.#onTagged?.(name);
        continue;
      }
      if (this.#disk?.has(name)) continue;
      this.#trie.add(name);
    }
  }

  /** The metric now has a file: the disk index answers for it. */
  persisted(name: string): void {
    this.#trie.delete(name);
  }
}
