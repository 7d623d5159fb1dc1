// kcompart's public API. Stages are added here as they land (DESIGN.md §1).
export * from './ir/index.js';
