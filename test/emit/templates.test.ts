// Tests bpf-templates/ as C: each template compiles on its own with clang-19
// against the corpus kernel's vmlinux.h with -Wall and no diagnostic at all
// (the checker alone, the sample site programs, the sample with the kfunc
// left out so only the CO-RE page walk remains), and kcompart.h is plain
// user-space C (the loader's view of the event layout).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLANG, TEMPLATES, clangBpf, run } from "./support/bpf.js";

const out = mkdtempSync(join(tmpdir(), "kcompart-tpl-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("bpf-templates compile standalone (clang-19, corpus 6.1 vmlinux.h, -Wall)", () => {
  for (const [file, extra] of [
    ["checker.bpf.c", []],
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
  }

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
