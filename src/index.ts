// kcompart's public API (DESIGN.md §1): the pipeline that does what the CLI
// does (`buildCompartment`), and each layer's surface — the IR reader and
// model, the policy model shared by every stage, the kernel's BTF types, the
// analysis (IR → policy), the binary readers and mapper, and the eBPF
// emitter. Each layer is also a subpath of its own (`kcompart/ir`,
// `kcompart/policy`, `kcompart/btf`, `kcompart/analysis`, `kcompart/binary`,
// `kcompart/emit`, `kcompart/collect`, `kcompart/classify`, `kcompart/pipeline`),
// so an IR-only user does not load the x86 decoder. `collect` gets the IR out
// of a clang-built kernel tree in the first place. `classify` names the likely
// type of a slab object the run time never saw allocated (issue 10 item 3).
// `summary` (`kcompart/summary`) summarizes TUs one at a time on every core,
// cached by content hash, for analyses at whole-kernel scale, and builds the
// whole-program call graph (indirect calls included) as a graphlib Graph.
export * from './ir/index.js';
export * from './policy/index.js';
export * from './btf/index.js';
export * from './analysis/index.js';
export * from './binary/index.js';
export * from './emit/index.js';
export * from './pipeline.js';
export * from './collect/index.js';
export * from './classify/index.js';
export * from './summary/index.js';
