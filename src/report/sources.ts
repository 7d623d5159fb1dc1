// Owns finding and reading the compartment's source files for the report:
// the paths the debug info names (DICompileUnit/DIFile directory joined with
// the file name, as the policy's locations hold them), relocated by
// `--source-root` (a directory under which the path, or a trailing part of it,
// is looked up; or an `OLD=NEW` prefix rewrite). The only I/O of src/report
// besides writing the pages; a file that is missing is reported, not fatal.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import type { SourceText } from './model.js';

/** Largest source file read (bytes); a larger one is shown as missing. */
export const MAX_SOURCE_BYTES = 8 << 20;

/** Options of {@link loadSources}. */
export interface LoadSourcesOptions {
  /**
   * Where to look instead of the recorded path, tried in order: `DIR` (the
   * recorded path, then each shorter trailing part of it, under DIR:
   * `/build/linux/net/ipv6/route.c` → `DIR/build/linux/net/ipv6/route.c`, …,
   * `DIR/net/ipv6/route.c`, `DIR/ipv6/route.c`, `DIR/route.c`), or `OLD=NEW`
   * (a recorded path starting with OLD is read from NEW + the rest).
   * The recorded path itself is tried last.
   */
  readonly sourceRoots?: readonly string[];
  /** Resolves a relative recorded path; default the current directory. */
  readonly cwd?: string;
}

/** The candidate paths of one recorded path, in the order they are tried. */
export function candidatePaths(file: string, options: LoadSourcesOptions = {}): string[] {
  const out: string[] = [];
  const parts = normalize(file)
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  for (const root of options.sourceRoots ?? []) {
    const eq = root.indexOf('=');
    if (eq > 0) {
      const from = root.slice(0, eq),
        to = root.slice(eq + 1);
      if (file === from || file.startsWith(from.endsWith('/') ? from : `${from}/`)) out.push(join(to, file.slice(from.length)));
      continue;
    }
    for (let i = 0; i < parts.length; i++) {
      if (parts.slice(i).includes('..')) continue;
      out.push(join(root, ...parts.slice(i)));
    }
  }
  out.push(isAbsolute(file) ? file : join(options.cwd ?? process.cwd(), file));
  return [...new Set(out)];
}

/** Reads one source file (the first candidate that exists), or says why there is none. */
export function loadSource(file: string, options: LoadSourcesOptions = {}): SourceText {
  const tried = candidatePaths(file, options);
  for (const p of tried) {
    let size: number;
    try {
      const st = statSync(p);
      if (!st.isFile()) continue;
      size = st.size;
    } catch {
      continue;
    }
    if (size > MAX_SOURCE_BYTES) return { path: p, missing: `${p} is larger than ${MAX_SOURCE_BYTES} bytes` };
    try {
      return { path: p, text: readFileSync(p, 'utf8') };
    } catch (e) {
      return { path: p, missing: `${p}: ${(e as Error).message}` };
    }
  }
  const shown = tried.length > 4 ? [...tried.slice(0, 3), `… ${tried.length - 3} more`] : tried;
  return {
    path: tried[tried.length - 1]!,
    missing: `not found (tried ${shown.join(', ')})${options.sourceRoots?.length ? '' : '; give --source-root DIR to relocate'}`,
  };
}

/** Reads every file of `files` (see {@link loadSource}). */
export function loadSources(files: Iterable<string>, options: LoadSourcesOptions = {}): Map<string, SourceText> {
  const m = new Map<string, SourceText>();
  for (const f of files) if (!m.has(f)) m.set(f, loadSource(f, options));
  return m;
}
