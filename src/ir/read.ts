// Reading IR from disk: `.ll` and gzip-compressed `.ll.gz`.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { ParseError } from './errors.js';
import type { Module } from './module.js';
import { parseModule } from './parser.js';

/**
 * Reads and parses an IR file; `.gz` files (or any file starting with the gzip
 * magic bytes) are decompressed first.
 *
 * @throws {@link ParseError} for unreadable IR (also for a corrupt gzip stream);
 *   file-system errors (`ENOENT`…) are passed through unchanged.
 */
export async function readModule(path: string): Promise<Module> {
  return parseModuleBytes(await readFile(path), path);
}

/**
 * Parses IR already read into memory (`.ll` text, or gzip-compressed), naming `path` in errors:
 * for callers that need the bytes themselves too (a content hash).
 *
 * @throws {@link ParseError} for unreadable IR (also for a corrupt gzip stream).
 */
export function parseModuleBytes(input: Uint8Array, path: string): Module {
  let bytes = input;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new ParseError(path, 1, 1, 0, 'a corrupt gzip stream', `gzip data (${(e as Error).message})`);
    }
  }
  return parseModule(bytes, { filename: path });
}
