// The files the status page is made of, read once at start and served from memory: the page's
// own HTML, CSS and JS (src/ui/static/, no build step) and uPlot's distribution files from the
// installed npm package. `uplot` is in deno.json's imports, so Deno installs it into
// node_modules/ with the rest (`"nodeModulesDir": "auto"`) the first time the daemon or any task
// runs, and `import.meta.resolve` finds the file there from any working directory.

/** One file to serve. */
export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** uPlot's files, by the name the page asks for under `/ui/vendor/`. */
const VENDOR: Record<string, string> = {
  "uPlot.iife.min.js": "uplot/dist/uPlot.iife.min.js",
  "uPlot.min.css": "uplot/dist/uPlot.min.css",
};

/** The page's files by URL path (`/`, `/ui/main.js`, `/ui/vendor/...`), and what failed. */
export interface Assets {
  files: Map<string, Asset>;
  /** One line per file that could not be read, for the start warnings. */
  warnings: string[];
}

/** Where {@linkcode loadAssets} reads from (tests point it elsewhere). */
export interface AssetSources {
  /** The page's own files. */
  staticDir?: URL;
  /** Resolves an npm specifier from deno.json's imports to a file URL. */
  resolve?: (specifier: string) => string;
}

/** Reads src/ui/static/ and uPlot's files; a missing uPlot is a warning (the page says so). */
export function loadAssets(sources: AssetSources = {}): Assets {
  const staticDir = sources.staticDir ?? new URL("./static/", import.meta.url);
  const resolve = sources.resolve ?? ((specifier: string) => import.meta.resolve(specifier));
  const files = new Map<string, Asset>();
  const warnings: string[] = [];
  for (const entry of Deno.readDirSync(staticDir)) {
    const ext = entry.name.slice(entry.name.lastIndexOf("."));
    if (!entry.isFile || TYPES[ext] === undefined) continue;
    const body = Deno.readFileSync(new URL(entry.name, staticDir));
    const path = entry.name === "index.html" ? "/" : `/ui/${entry.name}`;
    files.set(path, { body, type: TYPES[ext] });
  }
  for (const [name, specifier] of Object.entries(VENDOR)) {
    let url: URL | undefined;
    try {
      url = new URL(resolve(specifier));
      const ext = name.slice(name.lastIndexOf("."));
      files.set(`/ui/vendor/${name}`, { body: Deno.readFileSync(url), type: TYPES[ext] });
    } catch (err) {
      const where = url ? url.pathname : specifier;
      const why = err instanceof Error ? err.message : String(err);
      warnings.push(
        `status page charts unavailable: cannot read ${where} (${why}); ` +
          "run `deno install` in the project directory",
      );
    }
  }
  return { files, warnings };
}
