// Owns the decompression of SHF_COMPRESSED ELF sections: the Elf64_Chdr
// header, ELFCOMPRESS_ZLIB through node:zlib, and a clear ElfError for
// ELFCOMPRESS_ZSTD where the running Node has no zstd (Node 20 has none).

import * as zlib from 'node:zlib';
import { ByteReader } from '../bytes.js';
import { ElfError } from '../errors.js';
import { ELFCOMPRESS_ZLIB, ELFCOMPRESS_ZSTD } from './constants.js';

/** Size of Elf64_Chdr: ch_type (4), ch_reserved (4), ch_size (8), ch_addralign (8). */
export const ELF64_CHDR_SIZE = 24;

/** Deflate cannot expand more than ~1032:1; a larger claimed size is corrupt (and would be a memory bomb). */
const MAX_DEFLATE_RATIO = 1032;
/** Never allocate more than this for one section. */
const MAX_SECTION_SIZE = 2 ** 31;

type ZstdDecompress = (buf: Uint8Array, opts?: { maxOutputLength?: number }) => Buffer;

/** zstdDecompressSync where this Node has it (22.15+), else undefined. */
function zstdDecompress(): ZstdDecompress | undefined {
  const f = (zlib as unknown as Record<string, unknown>)['zstdDecompressSync'];
  return typeof f === 'function' ? (f as ZstdDecompress) : undefined;
}

/**
 * Decompresses the contents of a section flagged SHF_COMPRESSED.
 *
 * gABI: "The section data begins with an ELF compression header structure
 * (Elf64_Chdr) … ch_size: the size in bytes of the uncompressed data."
 * The result must have exactly `ch_size` bytes.
 */
export function decompressSection(raw: Uint8Array, file: string, section: string): Uint8Array {
  const r = new ByteReader(raw, file, section, ElfError);
  const type = r.u32('Elf64_Chdr.ch_type');
  r.u32('Elf64_Chdr.ch_reserved');
  const size = r.u64n('Elf64_Chdr.ch_size');
  r.u64('Elf64_Chdr.ch_addralign');
  const payload = raw.subarray(ELF64_CHDR_SIZE);
  const fail = (expected: string, found?: string, cause?: unknown): never => {
    throw new ElfError({ file, section, offset: 0, expected, found }, cause !== undefined ? { cause } : undefined);
  };
  if (size > MAX_SECTION_SIZE || size > payload.length * MAX_DEFLATE_RATIO + 64) {
    fail(`an uncompressed size consistent with ${payload.length} compressed bytes`, `ch_size ${size}`);
  }
  if (size === 0) return new Uint8Array(0);
  let out: Uint8Array;
  if (type === ELFCOMPRESS_ZLIB) {
    try {
      out = zlib.inflateSync(payload, { maxOutputLength: size });
    } catch (e) {
      return fail('a valid zlib stream (ELFCOMPRESS_ZLIB)', (e as Error).message, e);
    }
  } else if (type === ELFCOMPRESS_ZSTD) {
    const zstd = zstdDecompress();
    if (zstd === undefined) {
      return fail(
        'ELFCOMPRESS_ZLIB compression',
        `ELFCOMPRESS_ZSTD, which needs Node >= 22.15 (node:zlib zstd); run \`llvm-objcopy --decompress-debug-sections\` first`,
      );
    }
    try {
      out = zstd(payload, { maxOutputLength: size });
    } catch (e) {
      return fail('a valid zstd stream (ELFCOMPRESS_ZSTD)', (e as Error).message, e);
    }
  } else {
    return fail('ch_type ELFCOMPRESS_ZLIB (1) or ELFCOMPRESS_ZSTD (2)', `ch_type ${type}`);
  }
  if (out.length !== size) fail(`${size} uncompressed bytes (ch_size)`, `${out.length}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
