// Owns the body of a summary worker thread (run by the piscina pool of
// pool.ts): summarize one TU (or compute its link facts, links.ts) through the
// cache and hand the result back. The module parsed here dies with the task;
// only the summary crosses threads.
import type { Allocator } from '../analysis/index.js';
import type { Cache } from '../policy/schema.js';
import { cachedSummary, type SummaryResult } from './cache.js';
import { cachedLinks, type TuLinks } from './links.js';

/** One task: a file, the cache directory, and the allocator table as entries (a Map does not cross threads). */
export interface SummaryTask {
  file: string;
  cacheDir: string | false;
  allocators?: Allocator[];
  caches?: Cache[];
  /** Compute the TU's link facts instead of its summary. */
  links?: boolean;
}

/** A task's outcome: the result, or the error as data (a ParseError's fields survive the thread boundary). */
export type SummaryTaskResult =
  | (SummaryResult & { ok: true })
  | { ok: true; links: TuLinks; cached: boolean }
  | {
      ok: false;
      error: { name: string; message: string; file?: string; line?: number; column?: number; expected?: string; token?: string };
    };

export default async function run(task: SummaryTask): Promise<SummaryTaskResult> {
  try {
    const options = {
      cacheDir: task.cacheDir,
      ...(task.allocators ? { allocators: new Map(task.allocators.map((a) => [a.name, a])) } : {}),
      ...(task.caches ? { caches: task.caches } : {}),
    };
    if (task.links) return { ...(await cachedLinks(task.file, options)), ok: true };
    return { ...(await cachedSummary(task.file, options)), ok: true };
  } catch (e) {
    const x = e as Error & Record<string, unknown>;
    const pick = <K extends string>(k: K): Record<K, unknown> | object => (x[k] !== undefined ? { [k]: x[k] } : {});
    return {
      ok: false,
      error: {
        name: x.name,
        message: x.message,
        ...pick('file'),
        ...pick('line'),
        ...pick('column'),
        ...pick('expected'),
        ...pick('token'),
      } as { name: string; message: string },
    };
  }
}
