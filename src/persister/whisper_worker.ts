// Entry point of a persister worker thread: takes the settings, rule files and write batches
// from the persister and answers each batch with its results (whisper_writer.ts does the work).

/// <reference lib="deno.worker" />

import { parseRules, writeBatch, type WriterSettings, writerSettings } from "./whisper_writer.ts";
import type { WorkerMessage } from "./write_batch.ts";

// Missing files and directories are found by catching NotFound; a stack trace per throw would
// cost more than the open itself.
Error.stackTraceLimit = 0;

let settings: WriterSettings | undefined;

self.onmessage = (e: MessageEvent<WorkerMessage>) => {
  const msg = e.data;
  if (msg.type === "init") {
    settings = writerSettings(msg);
  } else if (msg.type === "rules") {
    if (settings) Object.assign(settings, parseRules(msg.rules));
  } else {
    if (!settings) throw new Error("whisper worker got a batch before init");
    self.postMessage(writeBatch(settings, msg));
  }
};
