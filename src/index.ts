// kcompart's public API (DESIGN.md §1): the IR reader and model, the policy
// model shared by every stage, the analysis (IR → policy) and the binary
// readers (ELF, DWARF line tables), and the eBPF emitter.
export * from './ir/index.js';
export * from './policy/index.js';
export * from './analysis/index.js';
export * from './binary/index.js';
export * from './emit/index.js';
