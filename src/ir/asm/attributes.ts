// Owns attribute lists (LangRef "Parameter Attributes", "Function
// Attributes"): enum, integer (`align 8`, `dereferenceable(16)`), type
// (`byval(%struct.s)`), string (`"key"="value"`) and group (`#3`) attributes,
// as function headers, call sites, globals and attribute groups write them;
// and calling conventions (LangRef "Calling Conventions"). The vocabulary of
// attribute names is the model's (../attributes.ts).
import { type Attribute, ENUM_ATTRIBUTES, INT_ATTRIBUTES, TYPE_ATTRIBUTES } from '../attributes.js';
import { bytesToText, Tok } from '../lexer.js';
import type { ParserState } from './state.js';
import { parseType } from './types.js';

const CALLING_CONVS = new Set<string>([
  'ccc',
  'fastcc',
  'coldcc',
  'cfguard_checkcc',
  'x86_stdcallcc',
  'x86_fastcallcc',
  'x86_thiscallcc',
  'x86_vectorcallcc',
  'arm_apcscc',
  'arm_aapcscc',
  'arm_aapcs_vfpcc',
  'aarch64_vector_pcs',
  'aarch64_sve_vector_pcs',
  'aarch64_sme_preservemost_from_x0',
  'aarch64_sme_preservemost_from_x1',
  'aarch64_sme_preservemost_from_x2',
  'msp430_intrcc',
  'avr_intrcc',
  'avr_signalcc',
  'ptx_kernel',
  'ptx_device',
  'spir_kernel',
  'spir_func',
  'intel_ocl_bicc',
  'x86_64_sysvcc',
  'win64cc',
  'anyregcc',
  'preserve_mostcc',
  'preserve_allcc',
  'preserve_nonecc',
  'ghccc',
  'swiftcc',
  'swifttailcc',
  'x86_intrcc',
  'hhvmcc',
  'hhvm_ccc',
  'cxx_fast_tlscc',
  'amdgpu_vs',
  'amdgpu_ls',
  'amdgpu_hs',
  'amdgpu_es',
  'amdgpu_gs',
  'amdgpu_ps',
  'amdgpu_cs',
  'amdgpu_cs_chain',
  'amdgpu_cs_chain_preserve',
  'amdgpu_kernel',
  'amdgpu_gfx',
  'tailcc',
  'm68k_rtdcc',
  'graalcc',
  'riscv_vector_cc',
  'm68k_intrcc',
  'x86_regcallcc',
  'webkit_jscc',
  // LLVM 21–22
  'amdgpu_gfx_whole_wave',
  'cheriot_compartmentcallcc',
  'cheriot_compartmentcalleecc',
  'cheriot_librarycallcc',
]);

/**
 * Parses one attribute if the current token starts one. `inGroup`: inside
 * `attributes #N = { … }`, where integer attributes may be written `align=8`.
 */
export function parseOneAttribute(p: ParserState, out: Attribute[], inGroup: boolean): boolean {
  const k = p.tk();
  if (k === Tok.AttrGrpId) {
    out.push({ kind: 'group', id: p.lx.num });
    p.next();
    return true;
  }
  if (k === Tok.String) {
    const key = bytesToText(p.lx.text);
    p.next();
    let value: string | undefined;
    if (p.eat(Tok.Equal)) value = p.string();
    out.push({ kind: 'string', key, value });
    return true;
  }
  if (k !== Tok.Keyword) return false;
  const name = p.lx.text;
  if (!ENUM_ATTRIBUTES.has(name)) return false;
  p.next();
  if (INT_ATTRIBUTES.has(name)) {
    if (p.eat(Tok.LParen)) {
      const v = p.uint();
      p.expect(Tok.RParen, "')'");
      out.push({ kind: 'int', name, value: v });
    } else if (inGroup && p.eat(Tok.Equal)) {
      out.push({ kind: 'int', name, value: p.uint() });
    } else if (name === 'align' || name === 'alignstack') {
      out.push({ kind: 'int', name, value: p.uint() });
    } else {
      p.error("'('");
    }
    return true;
  }
  if (TYPE_ATTRIBUTES.has(name)) {
    if (p.eat(Tok.LParen)) {
      const t = parseType(p);
      p.expect(Tok.RParen, "')'");
      out.push({ kind: 'type', name, type: t });
    } else {
      out.push({ kind: 'type', name, type: undefined });
    }
    return true;
  }
  if (p.tk() === Tok.LParen) {
    out.push({ kind: 'text', name, text: p.rawParens() });
    return true;
  }
  out.push({ kind: 'enum', name });
  return true;
}

/** Attributes up to the first token that does not start one. */
export function parseAttributes(p: ParserState, out: Attribute[]): void {
  while (parseOneAttribute(p, out, false)) {
    /* more */
  }
}

/**
 * `ccc`, `fastcc`, …, `cc N`, `riscv_vls_cc(N)` (LLVM 21: the ABI vector
 * length in bits, a power of two from 32 to 65536; LLVM 22 writes and reads
 * it only with the parentheses), if the current token starts a calling convention.
 */
export function parseOptionalCallingConv(p: ParserState): string | undefined {
  if (p.tk() !== Tok.Keyword) return undefined;
  const w = p.lx.text;
  if (!CALLING_CONVS.has(w) && w !== 'cc' && w !== 'riscv_vls_cc') return undefined;
  p.next();
  if (w === 'cc') return `cc ${p.uint('a calling convention number')}`;
  if (w === 'riscv_vls_cc') {
    p.expect(Tok.LParen, "'(' and the ABI vector length");
    const at = p.lx.start;
    const bits = p.uint('the ABI vector length in bits');
    if (bits < 32 || bits > 65536 || (bits & (bits - 1)) !== 0) {
      p.errorAt(at, 'an ABI vector length that is a power of two from 32 to 65536', String(bits));
    }
    p.expect(Tok.RParen, "')'");
    return `riscv_vls_cc(${bits})`;
  }
  return w;
}
