// Owns the object sampler's file format (runtime/sample/objsample.h, `struct kc_sample`): parsing it
// into samples, and writing a subset back (the committed test fixture is made so). One record is
// 64 + 32 + 256 bytes after a 4-byte magic.

import { readFileSync, writeFileSync } from 'node:fs';

/** KC_SAMPLE_MAGIC ("KCS1" as a little-endian u32). */
export const SAMPLE_MAGIC = 0x4b435331;
/** KC_SAMPLE_BYTES: the object bytes a record holds. */
export const SAMPLE_BYTES = 256;
const NAME = 32;
const HEAD = 8 * 3 + 4 * 4;
/** sizeof(struct kc_sample). */
export const RECORD_SIZE = HEAD + NAME + SAMPLE_BYTES;

/** One sampled slab object, as freed. */
export interface ObjectSample {
  /** The object's address. */
  ptr: bigint;
  /** Its allocation's call_site (kmem tracepoint), 0n when allocated before the sampler loaded. */
  callSite: bigint;
  /** The struct kmem_cache's address. */
  cache: bigint;
  /** The cache's name. */
  cacheName: string;
  /** kmem_cache.object_size. */
  objectSize: number;
  /** The allocation's requested size (0 when unknown). */
  bytesReq: number;
  /** 1: kmem_cache_free, 2: kfree (__kmem_cache_free). */
  how: number;
  /** The object's first min(objectSize, 256) bytes (empty when the read failed). */
  bytes: Buffer;
}

/** A malformed sample file: the file, the byte offset, what was expected. */
export class SampleFileError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly expected: string,
  ) {
    super(`${file}: at byte ${offset}: expected ${expected}`);
    this.name = 'SampleFileError';
  }
}

/** Parses the sampler's output. */
export function parseSamples(buf: Buffer, file = '<samples>'): ObjectSample[] {
  if (buf.length < 4 || buf.readUInt32LE(0) !== SAMPLE_MAGIC) throw new SampleFileError(file, 0, 'the magic 0x4b435331 ("KCS1")');
  if ((buf.length - 4) % RECORD_SIZE !== 0)
    throw new SampleFileError(file, buf.length, `whole records of ${RECORD_SIZE} bytes (${buf.length - 4} bytes after the magic)`);
  const out: ObjectSample[] = [];
  for (let p = 4; p < buf.length; p += RECORD_SIZE) {
    const objectSize = buf.readUInt32LE(p + 24);
    const copied = buf.readUInt32LE(p + 32);
    if (copied > SAMPLE_BYTES) throw new SampleFileError(file, p + 32, `copied <= ${SAMPLE_BYTES}, got ${copied}`);
    const nameBuf = buf.subarray(p + HEAD, p + HEAD + NAME);
    const nul = nameBuf.indexOf(0);
    out.push({
      ptr: buf.readBigUInt64LE(p),
      callSite: buf.readBigUInt64LE(p + 8),
      cache: buf.readBigUInt64LE(p + 16),
      objectSize,
      bytesReq: buf.readUInt32LE(p + 28),
      how: buf.readUInt32LE(p + 36),
      cacheName: nameBuf.toString('latin1', 0, nul < 0 ? NAME : nul),
      bytes: Buffer.from(buf.subarray(p + HEAD + NAME, p + HEAD + NAME + copied)),
    });
  }
  return out;
}

/** Reads a sample file. */
export function readSamples(file: string): ObjectSample[] {
  return parseSamples(readFileSync(file), file);
}

/** Encodes samples in the sampler's format (for fixtures). */
export function encodeSamples(samples: readonly ObjectSample[]): Buffer {
  const buf = Buffer.alloc(4 + samples.length * RECORD_SIZE);
  buf.writeUInt32LE(SAMPLE_MAGIC, 0);
  samples.forEach((s, k) => {
    const p = 4 + k * RECORD_SIZE;
    buf.writeBigUInt64LE(s.ptr, p);
    buf.writeBigUInt64LE(s.callSite, p + 8);
    buf.writeBigUInt64LE(s.cache, p + 16);
    buf.writeUInt32LE(s.objectSize, p + 24);
    buf.writeUInt32LE(s.bytesReq, p + 28);
    buf.writeUInt32LE(s.bytes.length, p + 32);
    buf.writeUInt32LE(s.how, p + 36);
    buf.write(s.cacheName.slice(0, NAME - 1), p + HEAD, 'latin1');
    s.bytes.copy(buf, p + HEAD + NAME);
  });
  return buf;
}

/** Writes samples in the sampler's format. */
export function writeSamples(file: string, samples: readonly ObjectSample[]): void {
  writeFileSync(file, encodeSamples(samples));
}
