// kcompart's public API (DESIGN.md §1): the IR reader and model, and the
// policy model shared by every stage. Later stages are added as they land.
export * from './ir/index.js';
export * from './policy/index.js';
