// Owns the architecture rules test: the import rules of DESIGN.md §1 (which
// src/ folder may import which; arrows only point downward) checked with
// ts-morph over every src/**/*.ts, no import cycle between source files
// (found as the cycles of the import graph, a @dagrejs/graphlib graph), and
// the rule that every source file opens with a comment saying what it owns.

import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Graph, alg } from '@dagrejs/graphlib';
import { Node, Project, SyntaxKind, type SourceFile } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../scripts/lib/paths.js';

/** DESIGN.md §1: for each src/ folder, the other src/ folders it may import. */
const MAY_IMPORT: Record<string, readonly string[] | 'anything'> = {
  ir: [],
  policy: [],
  btf: [],
  analysis: ['ir', 'policy', 'btf'],
  binary: ['policy'],
  emit: ['policy'],
  report: ['policy'],
  collect: [],
  classify: ['btf'],
  summary: ['ir', 'policy', 'analysis'],
  'pipeline.ts': ['ir', 'policy', 'btf', 'analysis', 'binary', 'emit', 'summary'],
  cli: 'anything',
  'index.ts': 'anything',
};

/** The package's own name: importing it from inside src/ means importing src/index.ts. */
const SELF = 'kcompart';

/** The unit a src-relative path belongs to: its top folder, or the file name for files directly in src/. */
function unitOf(srcRelative: string): string {
  return srcRelative.split(/[\\/]/)[0]!;
}

interface Edge {
  from: string; // path relative to the src dir
  line: number;
  specifier: string;
  target: string | null; // path relative to the src dir, null if outside src/
  typeOnly: boolean; // `import type` / `export type`: erased, no module dependency at run time
}

/** Every module specifier a file uses: import/export declarations, import(), import x = require(), require(). */
function specifiersOf(sf: SourceFile): Array<{ specifier: string; line: number; typeOnly?: boolean }> {
  const out: Array<{ specifier: string; line: number; typeOnly?: boolean }> = [];
  for (const d of sf.getImportDeclarations()) {
    const typeOnly =
      d.isTypeOnly() ||
      (d.getNamedImports().length > 0 &&
        !d.getDefaultImport() &&
        !d.getNamespaceImport() &&
        d.getNamedImports().every((n) => n.isTypeOnly()));
    out.push({ specifier: d.getModuleSpecifierValue(), line: d.getStartLineNumber(), typeOnly });
  }
  for (const d of sf.getExportDeclarations()) {
    const s = d.getModuleSpecifierValue();
    if (s !== undefined) out.push({ specifier: s, line: d.getStartLineNumber(), typeOnly: d.isTypeOnly() });
  }
  for (const d of sf.getDescendantsOfKind(SyntaxKind.ImportEqualsDeclaration)) {
    const ref = d.getModuleReference();
    if (Node.isExternalModuleReference(ref)) {
      const e = ref.getExpression();
      if (e && Node.isStringLiteral(e)) out.push({ specifier: e.getLiteralValue(), line: d.getStartLineNumber() });
    }
  }
  for (const call of sf.getDescendantsOfKind(SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    const isImport = callee.getKind() === SyntaxKind.ImportKeyword;
    const isRequire = Node.isIdentifier(callee) && callee.getText() === 'require';
    if (!isImport && !isRequire) continue;
    const arg = call.getArguments()[0];
    if (arg && (Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg)))
      out.push({ specifier: arg.getLiteralValue(), line: call.getStartLineNumber() });
    else if (arg) out.push({ specifier: `<dynamic: ${arg.getText().slice(0, 60)}>`, line: call.getStartLineNumber() });
  }
  for (const t of sf.getDescendantsOfKind(SyntaxKind.ImportType)) {
    const a = t.getArgument();
    if (Node.isLiteralTypeNode(a)) {
      const lit = a.getLiteral();
      if (Node.isStringLiteral(lit)) out.push({ specifier: lit.getLiteralValue(), line: t.getStartLineNumber() });
    }
  }
  return out;
}

function edgesOf(project: Project, srcDir: string): Edge[] {
  const edges: Edge[] = [];
  for (const sf of project.getSourceFiles()) {
    const file = sf.getFilePath();
    const from = relative(srcDir, file);
    for (const { specifier, line, typeOnly } of specifiersOf(sf)) {
      let target: string | null;
      if (specifier.startsWith('.') || specifier.startsWith('/')) {
        const rel = relative(srcDir, resolve(dirname(file), specifier));
        const outside = rel === '' || rel.startsWith('..') || resolve(srcDir, rel) !== resolve(dirname(file), specifier);
        target = outside ? null : rel.replace(/\.(m|c)?js$/, '.ts');
      } else if (specifier === SELF || specifier.startsWith(`${SELF}/`)) {
        target = 'index.ts';
      } else if (specifier.startsWith('<dynamic')) {
        target = null; // a computed import() is never allowed in src/ (cannot be checked)
      } else {
        continue; // node: built-ins and npm packages are not "ours"
      }
      edges.push({ from, line, specifier, target, typeOnly: typeOnly ?? false });
    }
  }
  return edges;
}

/** Violations of the §1 table, as readable strings. */
export function importViolations(project: Project, srcDir: string): string[] {
  const bad: string[] = [];
  for (const e of edgesOf(project, srcDir)) {
    const fromUnit = unitOf(e.from);
    const rule = MAY_IMPORT[fromUnit];
    const where = `src/${e.from.split(sep).join('/')}:${e.line} imports "${e.specifier}"`;
    if (rule === undefined) {
      bad.push(`${where}: src/${fromUnit} is not a folder of DESIGN.md §1 (${Object.keys(MAY_IMPORT).join(', ')})`);
      continue;
    }
    if (e.target === null) {
      bad.push(`${where}: resolves outside src/ (src/ may only import src/, node: built-ins and packages)`);
      continue;
    }
    const toUnit = unitOf(e.target);
    if (toUnit === fromUnit || rule === 'anything') continue;
    if (!rule.includes(toUnit))
      bad.push(
        `${where}: src/${fromUnit} may import ${rule.length ? rule.map((r) => `src/${r}`).join(', ') : 'nothing of ours'}, not src/${toUnit}`,
      );
  }
  return bad;
}

/**
 * Import cycles between src files (each as its files in order, closing on the first). With
 * `typeOnly: false`, type-only imports are left out: they are erased and make no module depend on
 * another at run time (a data model's mutually recursive types, as LLVM's Value and Metadata are).
 */
export function importCycles(project: Project, srcDir: string, options: { typeOnly: boolean } = { typeOnly: true }): string[][] {
  const g = new Graph({ directed: true });
  for (const sf of project.getSourceFiles()) g.setNode(relative(srcDir, sf.getFilePath()));
  for (const e of edgesOf(project, srcDir)) {
    if (e.target !== null && e.target !== e.from && (options.typeOnly || !e.typeOnly)) g.setEdge(e.from, e.target);
  }
  return alg.findCycles(g).map((cycle) => {
    // findCycles gives a strongly connected component; order it along its edges for a readable message
    const members = new Set(cycle);
    const path = [cycle.sort()[0]!];
    while (path.length < members.size) {
      const next = (g.successors(path.at(-1)!) ?? []).filter((n) => members.has(n) && !path.includes(n)).sort()[0];
      if (!next) break;
      path.push(next);
    }
    return [...path, path[0]!].map((f) => `src/${f.split(sep).join('/')}`);
  });
}

/** Files whose first statement (or, if empty, whose text) is not preceded by a comment saying what it owns. */
export function missingOwnershipComment(project: Project, srcDir: string): string[] {
  const bad: string[] = [];
  for (const sf of project.getSourceFiles()) {
    const rel = `src/${relative(srcDir, sf.getFilePath()).split(sep).join('/')}`;
    const first = sf.getStatementsWithComments()[0];
    let comments: string[] = [];
    if (
      first &&
      (Node.isCommentStatement(first) ||
        first.getKind() === SyntaxKind.SingleLineCommentTrivia ||
        first.getKind() === SyntaxKind.MultiLineCommentTrivia)
    ) {
      // leading comments that ts-morph exposes as statements: collect all consecutive ones
      for (const s of sf.getStatementsWithComments()) {
        if (
          Node.isCommentStatement(s) ||
          s.getKind() === SyntaxKind.SingleLineCommentTrivia ||
          s.getKind() === SyntaxKind.MultiLineCommentTrivia
        )
          comments.push(s.getText());
        else break;
      }
    } else if (first) {
      comments = first.getLeadingCommentRanges().map((r) => r.getText());
    } else {
      const text = sf.getFullText().trim();
      if (text.startsWith('//') || text.startsWith('/*')) comments = [text];
    }
    const prose = comments
      .join('\n')
      .replace(/^\s*(\/\/+|\/\*+|\*+\/?|\*)/gm, '')
      .replace(/\*\/\s*$/gm, '')
      .replace(/SPDX-License-Identifier:.*$/gm, '')
      .replace(/\s+/g, ' ')
      .trim();
    if (prose.length < 12)
      bad.push(`${rel}: must begin with a comment saying what it owns (found ${comments.length ? JSON.stringify(prose) : 'no comment'})`);
  }
  return bad;
}

function loadSrc(root: string): { project: Project; srcDir: string } {
  const srcDir = join(root, 'src');
  const project = new Project({ skipAddingFilesFromTsConfig: true, skipFileDependencyResolution: true });
  if (existsSync(srcDir)) project.addSourceFilesAtPaths([join(srcDir, '**/*.ts'), `!${join(srcDir, '**/*.d.ts')}`]);
  return { project, srcDir };
}

describe('architecture (DESIGN.md §1)', () => {
  const root = repoRoot();
  const { project, srcDir } = loadSrc(root);

  it('finds the src files (folders that do not exist yet are fine)', () => {
    for (const sf of project.getSourceFiles()) expect(sf.getFilePath().startsWith(srcDir)).toBe(true);
  });

  it('src/ folders import only what the §1 table allows', () => {
    const bad = importViolations(project, srcDir);
    expect(bad, bad.join('\n')).toEqual([]);
  });

  it('no import cycle between src files', () => {
    const cycles = importCycles(project, srcDir, { typeOnly: false });
    expect(cycles, cycles.map((c) => c.join(' -> ')).join('\n')).toEqual([]);
  });

  it("type-only cycles only inside the IR model (LLVM's mutually recursive Value, Instruction and Metadata types)", () => {
    const model = new Set(['src/ir/values.ts', 'src/ir/instructions.ts', 'src/ir/metadata.ts', 'src/ir/debuginfo.ts']);
    const outside = importCycles(project, srcDir).filter((c) => c.some((f) => !model.has(f)));
    expect(outside, outside.map((c) => c.join(' -> ')).join('\n')).toEqual([]);
  });

  it('every src file begins with a comment saying what it owns', () => {
    const bad = missingOwnershipComment(project, srcDir);
    expect(bad, bad.join('\n')).toEqual([]);
  });
});

describe('architecture checker self-test (in-memory project)', () => {
  const srcDir = '/repo/src';
  function projectWith(files: Record<string, string>): Project {
    const p = new Project({ useInMemoryFileSystem: true, skipFileDependencyResolution: true });
    for (const [name, text] of Object.entries(files)) p.createSourceFile(`${srcDir}/${name}`, text);
    return p;
  }
  const owned = '// Owns a thing for the self-test.\n';

  it('accepts the allowed arrows', () => {
    const p = projectWith({
      'ir/parser.ts': `${owned}import { a } from "./lexer.js";\nimport { readFile } from "node:fs/promises";\nimport { z } from "zod";\nexport const x = 1;`,
      'ir/lexer.ts': `${owned}export const a = 1;`,
      'policy/schema.ts': `${owned}import { z } from "zod";\nexport type P = { a: number };`,
      'analysis/link.ts': `${owned}import { x } from "../ir/parser.js";\nimport type { P } from "../policy/schema.js";\nexport { x };`,
      'binary/elf.ts': `${owned}import type { P } from "../policy/schema.js";\nexport const e = 1;`,
      'emit/bpf.ts': `${owned}export * from "../policy/schema.js";`,
      'cli/main.ts': `#!/usr/bin/env node\n${owned}import { x } from "../ir/parser.js";\nimport { e } from "../binary/elf.js";\nimport "../index.js";`,
      'index.ts': `${owned}export * from "./ir/parser.js";\nexport * from "./analysis/link.js";`,
    });
    expect(importViolations(p, srcDir)).toEqual([]);
    expect(missingOwnershipComment(p, srcDir)).toEqual([]);
  });

  it('rejects the forbidden arrows', () => {
    const p = projectWith({
      'ir/a.ts': `${owned}import { b } from "../analysis/b.js";\nimport type { P } from "../policy/p.js";\nexport const a = 1;`,
      'ir/b.ts': `${owned}export * from "../index.js";\nexport const q = await import("../cli/main.js");\nimport k from "kcompart";`,
      'policy/p.ts': `${owned}import { a } from "../ir/a.js";\nexport type P = number;`,
      'analysis/b.ts': `${owned}import { e } from "../emit/e.js";\nimport { t } from "../../test/support.js";\nexport const b = 1;`,
      'binary/x.ts': `${owned}import { a } from "../ir/a.js";\nexport const x = 1;`,
      'emit/e.ts': `${owned}import { b } from "../analysis/b.js";\nconst m = require("../binary/x.js");\nexport const e = 1;`,
      'util.ts': `${owned}export const u = 1;\nimport { a } from "./ir/a.js";`,
    });
    const bad = importViolations(p, srcDir);
    const expectHit = (re: RegExp) =>
      expect(
        bad.some((b) => re.test(b)),
        `${re}\n${bad.join('\n')}`,
      ).toBe(true);
    expectHit(/src\/ir\/a\.ts:2 imports "..\/analysis\/b.js"/);
    expectHit(/src\/ir\/a\.ts:3 imports "..\/policy\/p.js"/);
    expectHit(/src\/ir\/b\.ts:2 imports "..\/index.js"/);
    expectHit(/src\/ir\/b\.ts:3 imports "..\/cli\/main.js"/);
    expectHit(/src\/ir\/b\.ts:4 imports "kcompart"/);
    expectHit(/src\/policy\/p\.ts.*src\/ir/);
    expectHit(/src\/analysis\/b\.ts.*src\/emit/);
    expectHit(/src\/analysis\/b\.ts.*outside src/);
    expectHit(/src\/binary\/x\.ts.*src\/ir/);
    expectHit(/src\/emit\/e\.ts:2.*src\/analysis/);
    expectHit(/src\/emit\/e\.ts:3.*src\/binary/);
    expectHit(/src\/util\.ts.*not a folder/);
    expect(bad).toHaveLength(12);
  });

  it('finds import cycles, type-only imports included', () => {
    const p = projectWith({
      'ir/a.ts': `${owned}import { b } from "./b.js";\nexport const a = 1;`,
      'ir/b.ts': `${owned}import type { C } from "./c.js";\nexport const b = 1;`,
      'ir/c.ts': `${owned}import { a } from "./a.js";\nexport type C = number;`,
      'ir/d.ts': `${owned}import { a } from "./a.js";\nexport const d = a;`,
    });
    expect(importCycles(p, srcDir)).toEqual([['src/ir/a.ts', 'src/ir/b.ts', 'src/ir/c.ts', 'src/ir/a.ts']]);
  });

  it('requires the ownership comment', () => {
    const p = projectWith({
      'ir/none.ts': `export const a = 1;\n// late comment\n`,
      'ir/tiny.ts': `// x\nexport const a = 1;\n`,
      'ir/empty.ts': ``,
      'ir/block.ts': `/**\n * Owns the block-comment style header.\n */\nexport const a = 1;\n`,
      'ir/shebang.ts': `#!/usr/bin/env node\n// Owns the shebang-headed entry point.\nexport const a = 1;\n`,
      'ir/onlycomment.ts': `// Owns nothing yet, but says so.\n`,
      'ir/spdx.ts': `// SPDX-License-Identifier: GPL-2.0-only\nexport const a = 1;\n`,
    });
    const bad = missingOwnershipComment(p, srcDir).map((b) => b.split(':')[0]);
    expect(bad.sort()).toEqual(['src/ir/empty.ts', 'src/ir/none.ts', 'src/ir/spdx.ts', 'src/ir/tiny.ts']);
  });
});
