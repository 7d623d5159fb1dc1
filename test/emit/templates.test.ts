// Tests bpf-templates/ as C: each template compiles on its own with clang-19
// and clang-14 against the corpus kernel's vmlinux.h with -Wall and no
// diagnostic at all (the checker and tracking alone, the sample site programs,
// the sample with the kfunc left out so only the CO-RE page walk remains, and
// with bounded loops for kernels without a JIT), kcompart.h is plain
// user-space C (the loader's view of the event layout), and the loader builds
// static with -Wall -Wextra against a generated seed.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLANG, TEMPLATES, clangBpf, corpusVmlinux, run } from "./support/bpf.js";
import { compileBpf, emitBpf } from "../../src/emit/index.js";
import { hostilePolicy } from "./support/policies.js";

const out = mkdtempSync(join(tmpdir(), "kcompart-tpl-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("bpf-templates compile standalone (clang-19 and clang-14, corpus 6.1 vmlinux.h, -Wall)", () => {
  for (const [file, extra] of [
    ["checker.bpf.c", []],
    ["checker.bpf.c", ["-DKC_NO_KFUNC", "-DKC_NO_CALLBACKS"]],
    ["sample.bpf.c", []],
    ["sample.bpf.c", ["-DKC_NO_KFUNC"]],
    ["test_harness.bpf.c", []],
    ["test_harness.bpf.c", ["-DKC_NO_KFUNC"]],
  ] as const) {
    it(`${file} ${extra.join(" ")}`, async () => {
      const r = await clangBpf(join(TEMPLATES, file), join(out, `${file}${extra.join("")}.o`), extra);
      expect(r.stderr, r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
    it(`${file} ${extra.join(" ")} with clang-14`, async () => {
      const r = await run("clang-14", ["-g", "-O2", "-Wall", "-target", "bpf", "-D__TARGET_ARCH_x86", "-I", corpusVmlinux().includeDir, "-I", TEMPLATES, ...extra,
        "-c", join(TEMPLATES, file), "-o", join(out, `${file}${extra.join("")}-14.o`)]);
      expect(r.stderr, r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
  }

  it("loader.c builds static with -Wall -Wextra against a hostile-named policy's seed, and prints its usage", async () => {
    const e = emitBpf(hostilePolicy(), { name: "hostile" });
    const c = await compileBpf(e.files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: join(out, "loader"), loader: true });
    expect(c.diagnostics).toEqual([]);
    const r = await run(c.loader!, ["--help"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage: .*OBJECT\.bpf\.o/);
    // the compartment name is printed escaped, never raw
    expect(r.stderr).toMatch(/compartment: /);
    expect(r.stderr).not.toMatch(/[^\x09\x0a\x20-\x7e]/);
  });

  it("test_run.c (the libbpf test-run helper) builds with no warning", async () => {
    const r = await run(CLANG, ["-Wall", "-Wextra", "-O2", join(TEMPLATES, "test_run.c"), "-o", join(out, "test_run"), "-lbpf"]);
    expect(r.stderr, r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("kcompart.h is plain C for user space", async () => {
    const r = await run(CLANG, ["-fsyntax-only", "-Wall", "-Wextra", "-x", "c", "-include", "stdint.h", join(TEMPLATES, "kcompart.h")]);
    expect(r.stderr, r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("the sample object has the two ip6_output kprobe sections and one ring buffer", async () => {
    const obj = join(out, "sample-sections.o");
    expect((await clangBpf(join(TEMPLATES, "sample.bpf.c"), obj)).code).toBe(0);
    const r = await run("llvm-readelf-19", ["-S", "-s", obj]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kprobe\/ip6_output\+0xe/);
    expect(r.stdout).toMatch(/kprobe\/ip6_output\+0x2b/);
    expect(r.stdout).toMatch(/\bkc_check\b/);
    expect(r.stdout.match(/\bkc_events\b/g)?.length).toBeGreaterThanOrEqual(1);
  });
});
