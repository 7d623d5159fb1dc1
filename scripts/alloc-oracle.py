#!/usr/bin/env python3
"""Source-level oracle for allocation-site types (issue 14).

Independent of the IR analysis: parses the kernel C source with libclang
(python3-clang-19) and, for each allocation call given as file:line:column
(the call as a developer wrote it), finds the C expression its result is
assigned to and that expression's declared type:

    x = kmalloc(...)          -> type of x          (assign)
    T *x = kmalloc(...)       -> declared type of x (init)
    *out = kzalloc(...)       -> type of *out       (assign)
    arr[i] = kmem_cache_...   -> element type       (assign)
    return kmalloc(...)       -> function's return type (return)
    f(kmalloc(...))           -> f's parameter type (argument)

looking through parentheses, implicit casts, `?:` and `!` / comparisons
(`if (!(x = kmalloc()))`). An explicit cast `(T *)kmalloc()` is itself
evidence (cast). The verdict is the pointee of that type:
  record  - struct / union T          (type "struct T")
  buffer  - void, char, u8, signed/unsigned char
  array   - a pointer or another scalar: `T *[]`, `u64[]`
  unknown - no call at that location, or no typed destination

For a call of an array allocator (`kmalloc_array(n, sizeof(struct list_head),
...)`, `kcalloc`, `kvcalloc`, `devm_kcalloc`...), also the element size in bytes
its size argument spells, a `sizeof` or an integer literal (elementSize).

Input (stdin): JSON [{"id", "file", "line", "column"}] with `file` relative to
the source root. Output (stdout): JSON [{"id", "verdict", "type", "via",
"text", "elementSize"?}] where `text` quotes the C line. Usage:
  alloc-oracle.py --src SRC_ROOT --gen GENERATED_ROOT < sites.json > verdicts.json
"""
import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import clang.cindex as ci
from clang.cindex import CursorKind as K, TypeKind as TK

BYTE_KINDS = {TK.VOID, TK.CHAR_S, TK.CHAR_U, TK.SCHAR, TK.UCHAR}


def flags(src, gen):
    inc = []
    for d in (f'{src}/arch/x86/include', f'{gen}/arch/x86/include/generated', f'{src}/include',
              f'{src}/arch/x86/include/uapi', f'{gen}/arch/x86/include/generated/uapi',
              f'{src}/include/uapi', f'{gen}/include/generated/uapi', f'{gen}/include'):
        inc += ['-I', d]
    return ['-nostdinc', '-std=gnu11', '-target', 'x86_64-linux-gnu'] + inc + [
        '-include', f'{src}/include/linux/compiler-version.h',
        '-include', f'{src}/include/linux/kconfig.h',
        '-include', f'{src}/include/linux/compiler_types.h',
        '-D__KERNEL__', '-DKBUILD_MODFILE="x"', '-DKBUILD_BASENAME="x"', '-DKBUILD_MODNAME="x"',
        '-D__KBUILD_MODNAME=kmod_x', '-fms-extensions', '-fno-builtin', '-Wno-everything',
        '-mcmodel=kernel', '-fno-pic']


def verdict_of(t):
    """(verdict, type name) for the pointee of a pointer type t."""
    c = t.get_canonical()
    if c.kind != TK.POINTER:
        return 'unknown', c.spelling
    p = c.get_pointee().get_canonical()
    if p.kind == TK.RECORD:
        name = p.spelling.replace('const ', '').replace('volatile ', '').strip()
        return 'record', name
    if p.kind in BYTE_KINDS:
        return 'buffer', p.spelling.replace('const ', '')
    if p.kind == TK.POINTER:
        return 'array', pointer_name(p) + '[]'
    return 'array', p.spelling.replace('const ', '') + '[]'


def pointer_name(p):
    q = p.get_pointee().get_canonical()
    if q.kind == TK.RECORD:
        return q.spelling.replace('const ', '') + ' *'
    return p.spelling.replace('const ', '')


TRANSPARENT = {K.PAREN_EXPR, K.UNEXPOSED_EXPR, K.CONDITIONAL_OPERATOR, K.COMPOUND_STMT} | {getattr(K, n) for n in ("STMTEXPR", "STMT_EXPR") if hasattr(K, n)}


def classify(call, parents, fn):
    """Walks up from the call to its destination."""
    child = call
    for p in reversed(parents):
        k = p.kind
        if k in TRANSPARENT:
            child = p
            continue
        if k == K.CSTYLE_CAST_EXPR:
            v = verdict_of(p.type)
            if v[0] == 'record':
                return v + ('cast',)
            child = p
            continue
        if k == K.BINARY_OPERATOR:
            kids = list(p.get_children())
            op = binop(p)
            if op == '=' and len(kids) == 2 and kids[1] == child:
                return verdict_of(kids[0].type) + ('assign',)
            if op in ('==', '!=', '&&', '||', ','):
                return 'unknown', '', 'compare'
            return 'unknown', '', 'binop'
        if k == K.UNARY_OPERATOR:
            return 'unknown', '', 'unary'
        if k == K.VAR_DECL:
            return verdict_of(p.type) + ('init',)
        if k == K.RETURN_STMT:
            return verdict_of(fn.result_type) + ('return',)
        if k == K.CALL_EXPR:
            args = list(p.get_arguments())
            callee = p.referenced
            for i, a in enumerate(args):
                if a == child or child in list(a.walk_preorder()):
                    if callee is not None and callee.kind == K.FUNCTION_DECL:
                        ps = list(callee.get_arguments())
                        if i < len(ps):
                            return verdict_of(ps[i].type) + ('argument',)
            return 'unknown', '', 'argument'
        return 'unknown', '', str(k).split('.')[-1].lower()
    return 'unknown', '', 'none'


# array allocators: the index of the argument that is the element size
ELEMENT_ARG = {'kmalloc_array': 1, 'kcalloc': 1, 'kmalloc_array_node': 1, 'kcalloc_node': 1,
               'kvmalloc_array': 1, 'kvcalloc': 1, 'devm_kmalloc_array': 2, 'devm_kcalloc': 2}


def element_size(call):
    """The element size an array allocator's call spells, in bytes; None when it is not a constant."""
    i = ELEMENT_ARG.get(call.spelling)
    args = list(call.get_arguments())
    if i is None or i >= len(args):
        return None
    a = args[i]
    while a.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR) and len(list(a.get_children())) == 1:
        a = next(a.get_children())
    toks = [t.spelling for t in a.get_tokens()]
    if a.kind == K.INTEGER_LITERAL and toks and toks[0].isdigit():
        return int(toks[0])
    if a.kind == K.CXX_UNARY_EXPR and toks[:1] == ['sizeof']:
        kids = list(a.get_children())
        if len(kids) == 1 and kids[0].type.get_size() > 0:
            return kids[0].type.get_size()
    return None


def binop(c):
    toks = [t.spelling for t in c.get_tokens()]
    kids = list(c.get_children())
    if len(kids) == 2:
        n = len(list(kids[0].get_tokens()))
        if n < len(toks):
            return toks[n]
    return '?'


def run_file(args):
    src, gen, rel, wanted = args
    path = os.path.join(src, rel)
    idx = ci.Index.create()
    tu = idx.parse(path, args=flags(src, gen), options=ci.TranslationUnit.PARSE_SKIP_FUNCTION_BODIES * 0)
    lines = open(path, encoding='utf-8', errors='replace').read().split('\n')
    want = {}
    for w in wanted:
        want.setdefault((w['line'], w['column']), []).append(w)
    byline = {}
    for w in wanted:
        byline.setdefault(w['line'], []).append(w)
    found = {}

    def visit(c, parents, fn):
        for ch in c.get_children():
            loc = ch.location
            if loc.file is None or loc.file.name != path:
                # macro arguments spelled in this file still have an expansion here
                if not (ch.extent.start.file and ch.extent.start.file.name == path):
                    continue
            f2 = ch if ch.kind == K.FUNCTION_DECL else fn
            if ch.kind == K.CALL_EXPR and loc.line in byline:
                key = (loc.line, loc.column)
                hits = want.get(key)
                if hits is None:
                    # a call written through a macro: match its line when one call is there
                    cands = [w for w in byline[loc.line] if w['id'] not in found]
                    hits = cands if len({(w['line'], w['column']) for w in cands}) == 1 and ch.spelling and is_alloc_name(ch.spelling) else []
                hits = [h for h in hits if h['id'] not in found]
                if hits:
                    v, t, via = classify(ch, parents + [c], f2)
                    e = element_size(ch)
                    for hit in hits:
                        found[hit['id']] = {'id': hit['id'], 'verdict': v, 'type': t, 'via': via,
                                            'callee': ch.spelling, 'text': lines[loc.line - 1].strip(),
                                            **({'elementSize': e} if e else {})}
            visit(ch, parents + [c], f2)

    visit(tu.cursor, [], None)
    out = []
    for w in wanted:
        out.append(found.get(w['id'], {'id': w['id'], 'verdict': 'unknown', 'type': '', 'via': 'no-call',
                                       'text': lines[w['line'] - 1].strip() if 0 < w['line'] <= len(lines) else ''}))
    return out


def is_alloc_name(n):
    return any(s in n for s in ('alloc', 'dup', 'kmalloc', 'kzalloc', 'kcalloc', 'create', 'renew', 'clone', 'get_free', 'page'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--src', required=True)
    ap.add_argument('--gen', required=True)
    ap.add_argument('--jobs', type=int, default=2)
    a = ap.parse_args()
    sites = json.load(sys.stdin)
    byfile = {}
    for s in sites:
        byfile.setdefault(s['file'], []).append(s)
    work = [(a.src, a.gen, f, ws) for f, ws in sorted(byfile.items()) if os.path.exists(os.path.join(a.src, f))]
    out = []
    with ProcessPoolExecutor(max_workers=a.jobs) as ex:
        for r in ex.map(run_file, work):
            out += r
    json.dump(out, sys.stdout, indent=1)


if __name__ == '__main__':
    main()
