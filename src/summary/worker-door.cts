// Owns the door piscina opens into a summary worker thread: a CommonJS file
// that imports the ES module worker (worker.ts). Piscina's thread require()s
// its file first; Node 20's require() of an ES module inside a worker thread
// can abort the whole process ("v8::Module::IsGraphAsync must be used on an
// instantiated module", seen once in three CI runs). A CommonJS file takes
// the plain require() path, and the worker itself is loaded by import().
import type { SummaryTask, SummaryTaskResult } from './worker.js';

module.exports = async function run(task: SummaryTask): Promise<SummaryTaskResult> {
  const worker: typeof import('./worker.js') = await import('./worker.js');
  return worker.default(task);
};
