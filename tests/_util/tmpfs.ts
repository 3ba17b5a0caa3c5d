// A small tmpfs mounted on a temp dir (or on a directory given), to fill up or to make
// read-only: real ENOSPC and EROFS for the write paths. Mounting needs root; where this process
// may not mount, mountTmpfs() answers null and the tests that need it are skipped.

/** A mounted tmpfs. */
export interface Tmpfs {
  readonly dir: string;
  /** `mount -o remount,<options>` (e.g. "ro", "rw"). */
  remount(options: string): Promise<void>;
  /** Unmounts, and removes the directory when mountTmpfs() made it. */
  close(): Promise<void>;
}

async function mount(args: string[]): Promise<boolean> {
  const out = await new Deno.Command("mount", { args, stdout: "null", stderr: "null" })
    .output().catch(() => ({ code: 1 }));
  return out.code === 0;
}

/** Mounts a tmpfs of `size` ("64k") with `options` ("ro"); null where mounting is not allowed. */
export async function mountTmpfs(
  size: string,
  opts: { on?: string; options?: string } = {},
): Promise<Tmpfs | null> {
  const dir = opts.on ?? await Deno.makeTempDir({ prefix: "carbonado-tmpfs-" });
  if (opts.on) await Deno.mkdir(dir, { recursive: true });
  const options = [`size=${size}`, ...(opts.options ? [opts.options] : [])].join(",");
  if (!await mount(["-t", "tmpfs", "-o", options, "tmpfs", dir])) {
    if (!opts.on) await Deno.remove(dir);
    return null;
  }
  return {
    dir,
    async remount(options: string) {
      if (!await mount(["-o", `remount,${options}`, dir])) {
        throw new Error(`Cannot remount ${dir} ${options}`);
      }
    },
    async close() {
      await new Deno.Command("umount", { args: [dir] }).output();
      if (!opts.on) await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Why the tests that mount a tmpfs are skipped here, or null when this process may (root). */
export const MOUNT_SKIP = await (async () => {
  const probe = await mountTmpfs("4k");
  await probe?.close();
  return probe === null ? "cannot mount a small tmpfs here (needs root)" : null;
})();
