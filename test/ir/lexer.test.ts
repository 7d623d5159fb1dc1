// The lexer on its own: every token kind, names with escapes, numbers, labels,
// comments, and positions.
import { describe, expect, it } from 'vitest';
import { Lexer, Tok } from '../../src/ir/lexer.js';
import { ParseError } from '../../src/index.js';

function lex(src: string): [Tok, string | number][] {
  const lx = new Lexer(src, 't.ll');
  const out: [Tok, string | number][] = [];
  for (let k = lx.next(); k !== Tok.Eof; k = lx.next()) {
    const numeric = [Tok.Integer, Tok.AttrGrpId, Tok.IntType, Tok.LabelId, Tok.LocalVarId, Tok.GlobalId];
    const textual = [
      Tok.GlobalVar,
      Tok.LocalVar,
      Tok.LabelStr,
      Tok.Keyword,
      Tok.MetadataVar,
      Tok.String,
      Tok.ComdatVar,
      Tok.DbgRecord,
      Tok.Float,
    ];
    const v = numeric.includes(k) ? lx.num : textual.includes(k) ? lx.text : '';
    out.push([k, v]);
  }
  return out;
}

describe('lexer', () => {
  it('reads punctuation and skips comments', () => {
    expect(lex('= , * [ ] { } < > ( ) | ... ; comment\n!').map((t) => t[0])).toEqual([
      Tok.Equal,
      Tok.Comma,
      Tok.Star,
      Tok.LSquare,
      Tok.RSquare,
      Tok.LBrace,
      Tok.RBrace,
      Tok.Less,
      Tok.Greater,
      Tok.LParen,
      Tok.RParen,
      Tok.Bar,
      Tok.DotDotDot,
      Tok.Exclaim,
    ]);
  });
  it('reads global, local, numbered and quoted names with escapes', () => {
    expect(lex('@foo.bar$1 %x-y @12 %7 @"with space\\22q" %"\\5Cb"')).toEqual([
      [Tok.GlobalVar, 'foo.bar$1'],
      [Tok.LocalVar, 'x-y'],
      [Tok.GlobalId, 12],
      [Tok.LocalVarId, 7],
      [Tok.GlobalVar, 'with space"q'],
      [Tok.LocalVar, '\\b'],
    ]);
  });
  it('decodes UTF-8 in quoted names', () => {
    expect(lex('@"caf\\C3\\A9"')).toEqual([[Tok.GlobalVar, 'café']]);
  });
  it('reads labels: named, quoted, numbered, dotted', () => {
    expect(lex('entry: if.then23: "a b": 42: -neg:')).toEqual([
      [Tok.LabelStr, 'entry'],
      [Tok.LabelStr, 'if.then23'],
      [Tok.LabelStr, 'a b'],
      [Tok.LabelId, 42],
      [Tok.LabelStr, '-neg'],
    ]);
  });
  it('reads integers, floats and hex floats', () => {
    const toks = lex('0 -17 123456789012345678901 1.5 -2.0e+10 0x3FF0000000000000 0xK3FFF8000000000000000 0xH3C00');
    expect(toks.slice(0, 2)).toEqual([
      [Tok.Integer, 0],
      [Tok.Integer, -17],
    ]);
    expect(toks[2]![0]).toBe(Tok.Integer);
    expect(toks.slice(3).map((t) => t[0])).toEqual([Tok.Float, Tok.Float, Tok.Float, Tok.Float, Tok.Float]);
    expect(toks[4]![1]).toBe('-2.0e+10');
  });
  it('reads keywords, integer types, attribute groups and debug records', () => {
    expect(lex('define i32 i1 i128 #7 #dbg_value DW_TAG_member')).toEqual([
      [Tok.Keyword, 'define'],
      [Tok.IntType, 32],
      [Tok.IntType, 1],
      [Tok.IntType, 128],
      [Tok.AttrGrpId, 7],
      [Tok.DbgRecord, 'value'],
      [Tok.Keyword, 'DW_TAG_member'],
    ]);
  });
  it('reads metadata names but not numbers as names', () => {
    expect(lex('!llvm.dbg.cu !DILocation !12 !"s"')).toEqual([
      [Tok.MetadataVar, 'llvm.dbg.cu'],
      [Tok.MetadataVar, 'DILocation'],
      [Tok.Exclaim, ''],
      [Tok.Integer, 12],
      [Tok.Exclaim, ''],
      [Tok.String, 's'],
    ]);
  });
  it('reads comdat names and strings', () => {
    expect(lex('$grp "a\\00b"')).toEqual([
      [Tok.ComdatVar, 'grp'],
      [Tok.String, 'a\0b'],
    ]);
  });
  it('reports position of a bad character', () => {
    const lx = new Lexer('define\n  `', 'bad.ll');
    lx.next();
    try {
      lx.next();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      expect(e).toMatchObject({ file: 'bad.ll', line: 2, column: 3, offset: 9 });
    }
  });
  it('reports an unterminated string', () => {
    expect(() => lex('"abc')).toThrow(ParseError);
  });
});
