// Bad input gets a ParseError that says where (file, line, column, offset),
// what was found and what was expected — never another exception.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_NESTING, ParseError, readModule } from '../../src/index.js';
import { errorOf } from './support/errors.js';

describe('ParseError', () => {
  const cases: [string, string, number, number, RegExp][] = [
    ['undefined local', 'define void @f() {\n  store i32 0, ptr %nope\n  ret void\n}', 2, 20, /undefined value '%nope'/],
    ['undefined global', '@g = global ptr @missing', 1, 17, /undefined value '@missing'/],
    ['type mismatch', 'define void @f(i64 %x) {\n  %y = add i32 %x, 1\n  ret void\n}', 2, 16, /i32/],
    ['missing terminator', 'define void @f() {\n  %y = add i32 1, 1\n}', 3, 1, /terminator/],
    ['bad opcode', 'define void @f() {\n  %y = frobnicate i32 1\n  ret void\n}', 2, 8, /opcode/],
    ['undefined metadata', 'define void @f() {\n  ret void, !dbg !7\n}', 2, 18, /undefined metadata '!7'/],
    ['undefined label', 'define void @f() {\n  br label %nowhere\n}', 2, 12, /undefined label/],
    ['unterminated string', '@s = constant [2 x i8] c"ab', 1, 25, /end of string/],
    ['bad field value', '!0 = !DIBasicType(name: 7)', 1, 19, /a string for 'name'/],
    ['redefinition', '@a = global i32 0\n@a = global i32 1', 2, 1, /redefinition of @a/],
    ['wrong constant', '@a = global i32 null', 1, 17, /null/],
    ['summary entry', '^0 = module: (path: "x")', 1, 1, /summary/],
  ];
  for (const [what, src, line, column, msg] of cases) {
    it(what, () => {
      const e = errorOf(src);
      expect(e.file).toBe('bad.ll');
      expect([e.line, e.column]).toEqual([line, column]);
      expect(e.message).toMatch(msg);
      expect(e.offset).toBeLessThanOrEqual(src.length);
      expect(e.expected.length).toBeGreaterThan(0);
    });
  }
  it('refuses pathological nesting without overflowing the stack', () => {
    const deep = `@x = global i32 ${'add (i32 '.repeat(100_000)}`;
    expect(errorOf(deep).message).toMatch(new RegExp(`nesting of at most ${MAX_NESTING}`));
    const md = `!0 = !{${'!{'.repeat(50_000)}}`;
    expect(errorOf(md)).toBeInstanceOf(ParseError);
    const ty = `%t = type ${'{'.repeat(50_000)}`;
    expect(errorOf(ty)).toBeInstanceOf(ParseError);
  });
  it('reports end of file on truncated input', () => {
    const e = errorOf('define void @f() {\n  ret');
    expect(e.token).toBe('end of file');
    expect(e.line).toBe(2);
  });
});

describe('readModule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kcompart-'));
  const text = 'define i32 @one() {\n  ret i32 1\n}\n';
  it('reads .ll and .ll.gz', async () => {
    writeFileSync(join(dir, 'a.ll'), text);
    writeFileSync(join(dir, 'a.ll.gz'), gzipSync(text));
    const a = await readModule(join(dir, 'a.ll'));
    const b = await readModule(join(dir, 'a.ll.gz'));
    expect(a.getFunction('one')?.isDefinition).toBe(true);
    expect(b.getFunction('one')?.blocks.length).toBe(1);
    expect(b.filename).toBe(join(dir, 'a.ll.gz'));
  });
  it('gives a ParseError for a corrupt gzip stream and names the file', async () => {
    writeFileSync(join(dir, 'bad.ll.gz'), Buffer.concat([gzipSync(text).subarray(0, 12)]));
    await expect(readModule(join(dir, 'bad.ll.gz'))).rejects.toBeInstanceOf(ParseError);
  });
  it('passes file-system errors through', async () => {
    await expect(readModule(join(dir, 'none.ll'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
