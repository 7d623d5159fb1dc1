// Owns the kcdemo inputs of the report tests: the example module built from
// examples/kcdemo against the corpus headers (into a directory of the
// caller's own, so test files running in parallel do not share one), analyzed
// and mapped by the library exactly as `kcompart run` / `npm run e2e` do, and
// the loader log of a real e2e run (test/fixtures/report/kcdemo-loader.log).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, type AnalysisSummary } from '../../src/analysis/index.js';
import { mapSitesToAddresses, readElf, type MapStats } from '../../src/binary/index.js';
import type { Policy } from '../../src/policy/index.js';
import { buildKcdemo } from '../../scripts/e2e/kcdemo.js';
import { repoRoot } from '../../scripts/lib/paths.js';

export const ROOT = repoRoot();
export const LOADER_LOG = join(ROOT, 'test', 'fixtures', 'report', 'kcdemo-loader.log');

/** The line of kcdemo.c's faulty store (`note[i] = …`), as scripts/e2e/run.ts finds it. */
export function kcdemoBugLine(): number {
  const lines = readFileSync(join(ROOT, 'examples', 'kcdemo', 'kcdemo.c'), 'utf8').split('\n');
  return lines.findIndex((l) => /^\s*note\[i\] = /.test(l)) + 1;
}

/** Builds kcdemo into `.cache/report-test/<name>` and returns its mapped policy with the analyze and map figures. */
export async function kcdemoPolicy(name: string): Promise<{ policy: Policy; summary: AnalysisSummary; map: MapStats; dir: string }> {
  const dir = join(ROOT, '.cache', 'report-test', name);
  const b = await buildKcdemo(dir);
  const { policy, summary } = await analyze([b.ll], [], { name: 'kcdemo' });
  const mapped = mapSitesToAddresses(policy, [{ path: b.object, elf: readElf(readFileSync(b.object), b.object) }]);
  return { policy: mapped.policy, summary, map: mapped.stats, dir };
}
