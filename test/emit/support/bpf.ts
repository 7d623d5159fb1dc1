// Test support for test/emit: the corpus kernel's vmlinux.h (made with
// bpftool into .cache/ when missing, never committed), clang on a template,
// and loading a BPF object into this machine's kernel WITHOUT attaching
// (`bpftool prog loadall` into a private bpffs directory, removed afterwards),
// with the per-function instruction counts of `bpftool prog dump xlated`.

import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, lstatSync } from "node:fs";
import { join, resolve } from "node:path";
import { repoRoot } from "../../../scripts/lib/paths.js";

export const ROOT = repoRoot(import.meta.dirname);
export const CLANG = process.env["CLANG"] ?? "clang-19";
export const TEMPLATES = join(ROOT, "bpf-templates");
export const CORPUS = process.env["KCOMPART_CORPUS"] ?? resolve(ROOT, "..", "shared", "corpus");
export const BTF_61 = join(CORPUS, "linux-6.1", "kernel", "vmlinux.btf");
export const BPFTOOL = ["/usr/sbin/bpftool", "/usr/bin/bpftool"].find((p) => existsSync(p)) ?? "bpftool";

/** .cache/vmlinux-6.1.h (from the corpus BTF) and .cache/vmlinux.h pointing at it; returns the include dir. */
export function corpusVmlinux(): { header: string; includeDir: string } {
  const dir = join(ROOT, ".cache");
  mkdirSync(dir, { recursive: true });
  const header = join(dir, "vmlinux-6.1.h");
  if (!existsSync(header)) {
    const text = execFileSync(BPFTOOL, ["btf", "dump", "file", BTF_61, "format", "c"], { maxBuffer: 256 << 20, encoding: "utf8" });
    writeFileSync(`${header}.${process.pid}`, text);
    renameSync(`${header}.${process.pid}`, header);
  }
  const link = join(dir, "vmlinux.h");
  let ok = false;
  try {
    ok = lstatSync(link).isSymbolicLink() || existsSync(link);
  } catch {
    ok = false;
  }
  if (!ok) {
    try {
      symlinkSync("vmlinux-6.1.h", link);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  return { header, includeDir: dir };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((res) => {
    execFile(cmd, args, { maxBuffer: 256 << 20, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 127) : 0;
      res({ code, stdout, stderr: err && code === 127 ? `${stderr}${err.message}` : stderr });
    });
  });
}

/** clang -g -O2 -Wall -target bpf on one template-style file. */
export function clangBpf(src: string, out: string, extra: readonly string[] = []): Promise<RunResult> {
  const { includeDir } = corpusVmlinux();
  return run(CLANG, ["-g", "-O2", "-Wall", "-target", "bpf", "-D__TARGET_ARCH_x86", "-I", includeDir, "-I", TEMPLATES, ...extra, "-c", src, "-o", out]);
}

export interface LoadedProgram {
  name: string;
  /** Instructions per function of the program's xlated image (the program and the subprograms it calls, e.g. kc_check). */
  functions: Record<string, number>;
  xlatedBytes: number;
  /** `bpftool prog dump xlated` text ("" when not dumped). */
  dump: string;
}

export interface LoadResult {
  programs: LoadedProgram[];
  ms: number;
}

/** Why a load failed, in one line the test can show. */
export class LoadFailure extends Error {}

/**
 * Loads every program of `object` into the running kernel through the verifier
 * and pins them under a fresh /sys/fs/bpf/kcompart-test-* directory — nothing
 * is attached — reads their xlated images, then unpins (removes the directory),
 * which unloads them. Throws LoadFailure with bpftool's output (EPERM included).
 */
export async function loadWithoutAttach(object: string, opts: { dumpPrograms?: number } = {}): Promise<LoadResult> {
  const pin = `/sys/fs/bpf/kcompart-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const t0 = performance.now();
  const r = await run(BPFTOOL, ["prog", "loadall", object, pin]);
  const ms = performance.now() - t0;
  try {
    if (r.code !== 0) {
      const why = /Operation not permitted|EPERM/.test(r.stderr + r.stdout)
        ? "the kernel refused BPF (EPERM: no CAP_BPF/CAP_SYS_ADMIN or BPF disabled)"
        : "bpftool prog loadall failed";
      throw new LoadFailure(`${why} for ${object}:\n${(r.stderr + r.stdout).slice(-4000)}`);
    }
    const names = readdirSync(pin).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    const programs: LoadedProgram[] = [];
    const dumpN = opts.dumpPrograms ?? names.length;
    for (const [k, name] of names.entries()) {
      if (k >= dumpN) {
        programs.push({ name, functions: {}, xlatedBytes: 0, dump: "" });
        continue;
      }
      const show = await run(BPFTOOL, ["-j", "prog", "show", "pinned", join(pin, name)]);
      const xlatedBytes = show.code === 0 ? Number((JSON.parse(show.stdout) as { bytes_xlated?: number }).bytes_xlated ?? 0) : 0;
      const dump = await run(BPFTOOL, ["prog", "dump", "xlated", "pinned", join(pin, name)]);
      const functions: Record<string, number> = {};
      let cur = "?";
      for (const line of dump.stdout.split("\n")) {
        const h = /^\S.*?(\w+)\(.*\):$/.exec(line);
        if (h) cur = h[1]!;
        else if (/^\s*\d+: \(/.test(line)) functions[cur] = (functions[cur] ?? 0) + 1;
      }
      programs.push({ name, functions, xlatedBytes, dump: dump.stdout });
    }
    return { programs, ms };
  } finally {
    rmSync(pin, { recursive: true, force: true });
  }
}
