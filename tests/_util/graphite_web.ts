// Debian's graphite-web 1.1.8 for tests: its development server on a free port with settings
// written to a temp root, stopped when the test body is done.

import { freePort, waitFor } from "./net.ts";

/**
 * Runs graphite-web's development server with the given settings until `fn` is done; with
 * `migrate`, creates its database first (its default local TagDB keeps tags there).
 */
export async function withGraphiteWeb(
  root: string,
  settings: string,
  fn: (base: string) => Promise<void>,
  migrate = false,
): Promise<void> {
  await Deno.mkdir(`${root}/conf`, { recursive: true });
  await Deno.mkdir(`${root}/storage/log/webapp`, { recursive: true });
  await Deno.writeTextFile(
    `${root}/conf/carbonado_test_settings.py`,
    `SECRET_KEY = 'test'\nTIME_ZONE = 'UTC'\nLOG_ROTATION = False\nGRAPHITE_ROOT = '${root}'\n` +
      `CONF_DIR = '${root}/conf'\nSTORAGE_DIR = '${root}/storage'\n` +
      `LOG_DIR = '${root}/storage/log/webapp'\nINDEX_FILE = '${root}/storage/index'\n` +
      `STATIC_ROOT = '/usr/share/graphite-web/static'\n` +
      `DATABASES = {'default': {'NAME': '${root}/storage/graphite.db', ` +
      `'ENGINE': 'django.db.backends.sqlite3'}}\n${settings}\n`,
  );
  const env = {
    PYTHONPATH: `${root}/conf`,
    GRAPHITE_SETTINGS_MODULE: "carbonado_test_settings",
    DJANGO_SETTINGS_MODULE: "graphite.settings",
  };
  if (migrate) {
    const out = await new Deno.Command("/usr/bin/django-admin", {
      args: ["migrate", "--run-syncdb"],
      env,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  }
  const port = freePort();
  const child = new Deno.Command("/usr/bin/django-admin", {
    args: ["runserver", "--noreload", `127.0.0.1:${port}`],
    env,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        try {
          const res = await fetch(`${base}/render?target=none&format=json`);
          await res.body?.cancel();
          return res.ok;
        } catch {
          return false;
        }
      },
      "graphite-web to start",
    );
    await fn(base);
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}
