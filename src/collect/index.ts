// Owns src/collect's public surface (`kcompart/collect`): collecting a
// clang-built kbuild tree's textual IR with kbuild's own per-TU commands
// (`collectIr`), the .cmd file reader it rests on, and its typed errors.
export {
  type CollectedUnit,
  type CollectOptions,
  type CollectProgress,
  type CollectResult,
  collectIr,
  type SkippedKind,
} from './collect.js';
export { type CmdFile, type CommandKind, type CompileCommand, compileCommand, irCommand, parseCmdFile, shellSplit } from './cmdfile.js';
export { ClangVersionError, CmdFileError, CollectError, CompileError, KbuildTreeError, NotClangError } from './errors.js';
export {
  checkCompiler,
  type FoundObject,
  findObjects,
  type ObjectLinkage,
  linkedObjects,
  thinArchiveMembers,
  type TreeCompiler,
  treeCompiler,
} from './tree.js';
