// Owns locating the repository root and the shared corpus for the scripts,
// the benchmark and the tests (works from both the .ts sources and dist/).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest ancestor with kcompart's package.json. */
export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'kcompart') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`kcompart repository root not found above ${from}`);
    dir = up;
  }
}

/** ../shared/corpus relative to the repository root (KCOMPART_CORPUS overrides). */
export function corpusDir(root: string = repoRoot()): string {
  return process.env['KCOMPART_CORPUS'] ?? resolve(root, '..', 'shared', 'corpus');
}

/** The `.ll` files of one corpus directory (`linux-6.1/net/ipv6`), sorted: what the benchmarks and tests analyze. */
export function corpusModules(subdir: string, root: string = repoRoot()): string[] {
  const dir = join(corpusDir(root), subdir);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ll'))
    .sort()
    .map((f) => join(dir, f));
}
