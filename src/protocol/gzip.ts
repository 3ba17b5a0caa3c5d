// gzip bodies (HTTP ingest requests, scrape answers) undone in one call into at most a given size.
// node:zlib is loaded on the first gzip body: Node's compatibility layer costs about 10 MB
// resident, which a daemon that never sees gzip does not pay.

let zlib: typeof import("node:zlib") | null = null;

/**
 * `bytes` decompressed.
 *
 * @throws {RangeError} when the result would be larger than `maxSize` bytes
 * @throws {Error} when `bytes` is not a whole, valid gzip stream
 */
export async function gunzipBounded(bytes: Uint8Array, maxSize: number): Promise<Uint8Array> {
  zlib ??= await import("node:zlib");
  return zlib.gunzipSync(bytes, { maxOutputLength: maxSize });
}
