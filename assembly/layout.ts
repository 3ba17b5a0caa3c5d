// The memory map: record layouts, counter slots and limits shared with the JS side
// (src/wasm/ reads the exported constants, never its own copies).

/** Byte values the parser looks for. */
export const enum Char {
  TAB = 0x09,
  LF = 0x0a,
  CR = 0x0d,
  SPACE = 0x20,
  PLUS = 0x2b,
  MINUS = 0x2d,
  DOT = 0x2e,
  SLASH = 0x2f,
  ZERO = 0x30,
  NINE = 0x39,
  SEMICOLON = 0x3b,
  E_UPPER = 0x45,
  E_LOWER = 0x65,
  DEL = 0x7f,
  // tagged names (tags.ts)
  BANG = 0x21,
  QUOTE = 0x22,
  COMMA = 0x2c,
  COLON = 0x3a,
  EQUALS = 0x3d,
  BACKSLASH = 0x5c,
  CARET = 0x5e,
  LBRACE = 0x7b,
  RBRACE = 0x7d,
  TILDE = 0x7e,
  // structured protocols (influx.ts, opentsdb.ts)
  HASH = 0x23,
  UNDERSCORE = 0x5f,
  F_LOWER = 0x66,
  I_LOWER = 0x69,
  P_LOWER = 0x70,
  T_LOWER = 0x74,
  U_LOWER = 0x75,
}

/** Why a line was rejected; the counter slot is COUNTER_REJECTED + reason. */
export const enum Reason {
  FIELDS = 0,
  EMPTY_NAME = 1,
  BAD_NAME = 2,
  BAD_VALUE = 3,
  BAD_TIMESTAMP = 4,
  LINE_TOO_LONG = 5,
  TRUNCATED = 6,
  SERIES_FAILED = 7, // the series is marked FLAG_FAILED (its file cannot be written, ever)
  WAL_WRITE = 8, // the batch could not be written to the write-ahead log
  BAD_UTF8 = 9, // the name is not well-formed UTF-8 (carbon cannot decode it either)
}
export const REASON_COUNT: i32 = 10;

// Counters: u64 slots in one region. Totals only grow; gauges go up and down. A second region
// of the same layout holds the open batch's totals until commit() folds them in.
export const COUNTER_ACCEPTED: i32 = 0; // points admitted and committed to the cache
export const COUNTER_OVERFLOW: i32 = 1; // points dropped: cache full
export const COUNTER_CACHED_POINTS: i32 = 2; // gauge: points waiting in cache
export const COUNTER_NOT_CONFIRMED: i32 = 3; // gauge: popped, not yet confirmed
export const COUNTER_SERIES: i32 = 4; // gauge: series in the table
export const COUNTER_HEAP_BYTES: i32 = 5; // gauge: bytes handed out by the allocator
export const COUNTER_GC_SERIES: i32 = 6; // empty idle series dropped by collectGarbage()
export const COUNTER_TAGS_INVALID: i32 = 7; // names kept as they came: tags break carbon's rules
export const COUNTER_REJECTED: i32 = 8; // + Reason
export const COUNTER_SLOTS: i32 = 24;

// Parsed-line record: what parse() writes and stage() reads (32 bytes).
export const REC_HASH: i32 = 0; // u32 FNV-1a of the name
export const REC_NAME: i32 = 4; // u32 pointer to the name bytes
export const REC_NAME_LEN: i32 = 8; // u32
export const REC_TS: i32 = 12; // u32 seconds
export const REC_VALUE: i32 = 16; // f64
export const REC_STATUS: i32 = 24; // u32: REC_OK, REC_FIXUP, or REC_REJECTED + reason
export const REC_LINE_LEN: i32 = 28; // u32 bytes from the name to the end of the line
export const REC_SIZE: i32 = 32;
export const REC_OK: u32 = 0;
export const REC_FIXUP: u32 = 1; // the JS side re-parses the line (rare number forms)
export const REC_REJECTED: u32 = 16; // + Reason, set by the JS fix-up
export const BATCH_RECORDS: i32 = 16384;

// Series record: header then the name bytes (allocated as one block).
export const SER_HASH: i32 = 0; // u32
export const SER_NAME_LEN: i32 = 4; // u16
export const SER_FLAGS: i32 = 6; // u16
export const SER_HEAD: i32 = 8; // u32 newest cached point (list runs newest to oldest)
export const SER_COUNT: i32 = 12; // u32 cached points, duplicates included
export const SER_MAX_TS: i32 = 16; // u32 newest timestamp among cached points
export const SER_MIN_TS: i32 = 20; // u32 oldest timestamp among cached points
export const SER_UNCONFIRMED: i32 = 24; // u32 newest popped-but-unconfirmed point
export const SER_EPOCH: i32 = 28; // u32 collectGarbage() epoch of the last committed point
export const SER_REF: i32 = 32; // u64 stable reference, never reused (what the WAL names)
export const SER_NAME: i32 = 40; // name bytes start here
export const FLAG_DIRTY: u16 = 1; // cached points may hold duplicates or be out of order
export const FLAG_UNCONFIRMED_DIRTY: u16 = 2; // popped points were DIRTY: read() deduplicates
export const FLAG_FAILED: u16 = 4; // points for this series are refused (Reason.SERIES_FAILED)

// Series hint: where a producer's own cache (a scrape cache entry) keeps the series a record
// resolved to, so that stage() can skip the index (8 bytes). Valid while HINT_STAMP equals the
// table's count of deleted series: a series record is freed only by deleteSeries().
export const HINT_SERIES: i32 = 0; // u32 series pointer, 0: none yet
export const HINT_STAMP: i32 = 4; // u32 seriesDeletions when it was stored
export const HINT_SIZE: i32 = 8;

// Pending point of the open batch: staged by stage(), applied by commit() (16 bytes).
export const PEND_SERIES: i32 = 0; // u32 series pointer
export const PEND_TS: i32 = 4; // u32 seconds
export const PEND_VALUE: i32 = 8; // f64
export const PEND_SIZE: i32 = 16;
export const PEND_INITIAL: i32 = 16384; // pending slots allocated at init, doubled on demand

// Point slot in a series' list (16 bytes).
export const PT_TS: i32 = 0; // u32
export const PT_NEXT: i32 = 4; // u32 next older point, 0 at the end
export const PT_VALUE: i32 = 8; // f64
export const PT_SIZE: i32 = 16;

// Output record written by pop() and read() (16 bytes, readable as u32 + f64 views).
export const OUT_TS: i32 = 0; // u32
export const OUT_VALUE: i32 = 8; // f64
export const OUT_SIZE: i32 = 16;

// Snapshot record for the writeout queue (16 bytes).
export const SNAP_SERIES: i32 = 0; // u32 series pointer
export const SNAP_COUNT: i32 = 4; // u32 cached points
export const SNAP_MIN_TS: i32 = 8; // u32 oldest cached timestamp
export const SNAP_KEY: i32 = 12; // u32 sort key of the strategy
export const SNAP_SIZE: i32 = 16;

// Shard index: 1024 open-addressing tables, slot = (hash u32, series pointer u32).
export const SHARD_BITS: u32 = 10;
export const SHARD_COUNT: u32 = 1 << SHARD_BITS;
export const SHARD_MASK: u32 = SHARD_COUNT - 1;
export const SHARD_SLOTS: i32 = 0; // u32 pointer to the slot array
export const SHARD_CAP_MASK: i32 = 4; // u32 capacity - 1 (capacity is a power of two)
export const SHARD_USED: i32 = 8; // u32 occupied slots
export const SHARD_SIZE: i32 = 16;
export const SHARD_INITIAL_CAP: u32 = 16;

/** Series created since the JS side last took them (for the name index); a u32 ring. */
export const NEW_SERIES_CAP: i32 = 65536;

/** Longest metric name accepted (bytes), and longest path segment (NAME_MAX less ".wsp"). */
export const MAX_NAME_LEN: i32 = 4096;
export const MAX_SEGMENT_LEN: i32 = 251;

/** Bytes of slack after every input buffer: vector loads may read up to 16 bytes past the end. */
export const INPUT_PADDING: i32 = 64;

// Write-ahead log (Prometheus' wlog and record formats; docs/wal.md).
export const WAL_PAGE_SIZE: usize = 32768;
export const WAL_HEADER_SIZE: usize = 7; // type u8, length u16 BE, CRC-32C u32 BE
export const WAL_FRAG_FULL: u32 = 1;
export const WAL_FRAG_FIRST: u32 = 2;
export const WAL_FRAG_MIDDLE: u32 = 3;
export const WAL_FRAG_LAST: u32 = 4;
export const WAL_REC_SERIES: u32 = 1;
export const WAL_REC_SAMPLES: u32 = 2;

// Relay routing (assembly/route.ts): carbon-c-relay's three consistent-hash methods.
export const ROUTE_JUMP_FNV1A: i32 = 0; // jump_fnv1a_ch: FNV-1a 64 + jump hash, no ring
export const ROUTE_FNV1A_CH: i32 = 1; // fnv1a_ch: ring of 16-bit FNV-1a 32 folds
export const ROUTE_CARBON_CH: i32 = 2; // carbon_ch: ring of MD5 positions (Graphite's carbon)
export const ROUTE_RING_REPLICAS: i32 = 100; // ring entries per member (carbon's hardwired value)
export const ROUTE_MAX_MEMBERS: i32 = 256;
export const ROUTE_MAX_REPLICATION: i32 = 16;
// A ring entry (4 bytes): u16 position, u16 member index.
export const RING_POS: i32 = 0;
export const RING_MEMBER: i32 = 2;
export const RING_SIZE: i32 = 4;
// Per-member output of route() (16 bytes): the lines routed to the member since routeBegin().
export const MOUT_PTR: i32 = 0; // u32 pointer to the bytes
export const MOUT_LEN: i32 = 4; // u32 bytes
export const MOUT_LINES: i32 = 8; // u32 lines
export const MOUT_CAP: i32 = 12; // u32 capacity
export const MOUT_SIZE: i32 = 16;
// route() counters since routeBegin(): u64 slots.
export const RC_LINES: i32 = 0; // lines routed (to one member or more)
export const RC_COPIES: i32 = 1; // copies written to member outputs
export const RC_REROUTED: i32 = 2; // copies sent to a member other than the one the hash chose
export const RC_REJECTED: i32 = 8; // + Reason
export const RC_SLOTS: i32 = 24;
