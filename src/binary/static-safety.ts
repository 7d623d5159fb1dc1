// Owns the static-elimination rule of one machine write (issue 4 item 5): which writes need no
// run-time check — a constant offset from rsp, from rbp under a frame pointer, or a rip-relative
// (absolute) write inside a global of the legal set. Shared by the mapper (mapped sites) and the
// orphan fallback (orphans.ts), which also uses it to tell the function's own frame writes apart.
import type { Access, MemoryOperand } from '../policy/schema.js';
import { parseTarget, type ResolvedTarget } from './object-index.js';
import type { MemoryWrite } from './x86/decode.js';

/**
 * Which static-elimination rule proves a write safe, if any (issue 4 item 5):
 * a constant offset from rsp (no index, no segment), from rbp when the
 * function keeps a frame pointer, or a rip-relative (or absolute, kernel code
 * model) write inside a global of the access's legal set (`name` or
 * `module::name` for statics). `resolve` turns a relocation target into a data
 * symbol (section-relative targets of static variables included); without it
 * the target's name is taken as is.
 */
export function staticSafety(
  operand: MemoryOperand,
  write: MemoryWrite,
  access: Pick<Access, 'module' | 'legal'>,
  framePointer: boolean,
  resolve: (target: string) => ResolvedTarget | undefined = (t) => ({
    name: parseTarget(t).name,
    offset: parseTarget(t).addend,
    size: undefined,
  }),
): 'rsp' | 'rbp' | 'global' | undefined {
  if (operand.segment !== undefined) return undefined;
  // the stack write of a call is not the write the access stands for (the callee's)
  if (write.kind !== 'explicit') return undefined;
  if (operand.index !== undefined) return undefined;
  if (operand.base === 'rsp') return 'rsp';
  if (operand.base === 'rbp' && framePointer) return 'rbp';
  const target = operand.base === 'rip' ? operand.ripTarget : operand.base === undefined ? write.displacementTarget : undefined;
  if (target !== undefined) {
    const g = resolve(target);
    if (g === undefined) return undefined;
    // the whole write inside the global
    if (g.size !== undefined && (g.offset < 0 || g.offset + operand.width > g.size)) return undefined;
    const globals = access.legal.globals;
    if (globals.includes(g.name) || globals.includes(`${access.module}::${g.name}`)) return 'global';
  }
  return undefined;
}
