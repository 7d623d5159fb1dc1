// The program: several modules linked by symbol (DESIGN.md §3). Externally
// visible definitions resolve declarations in other modules; `static` symbols
// stay apart, keyed by their module. Each module is part of the compartment or
// context only.
import { readModule } from '../ir/read.js';
import type { Module } from '../ir/module.js';
import type { Function, GlobalValue, GlobalVariable } from '../ir/values.js';

/** A module of the program and its role. */
export interface ProgramModule {
  readonly module: Module;
  /** Its `source_filename` (`net/ipv6/route.c`), else the file name. */
  readonly name: string;
  readonly role: 'compartment' | 'context';
}

/** A global value together with the module that holds it. */
export interface Located<T extends GlobalValue = GlobalValue> {
  readonly module: ProgramModule;
  readonly value: T;
}

/** Problems found while linking, kept rather than thrown: the kernel links with them. */
export interface LinkNote {
  kind: 'duplicate-definition' | 'kind-mismatch';
  symbol: string;
  modules: string[];
}

const isLocal = (g: GlobalValue): boolean => g.linkage === 'internal' || g.linkage === 'private';
const isDefined = (g: GlobalValue): boolean => (g.kind === 'function' ? g.isDefinition : g.kind === 'global' ? !g.isDeclaration : true);

export class Program {
  readonly modules: ProgramModule[] = [];
  /** Externally visible definitions by symbol name. */
  private readonly exported = new Map<string, Located>();
  readonly notes: LinkNote[] = [];

  constructor(modules: readonly ProgramModule[]) {
    for (const pm of modules) this.add(pm);
  }

  /** Reads and links modules from files. */
  static async load(compartment: readonly string[], context: readonly string[] = []): Promise<Program> {
    const mods: ProgramModule[] = [];
    for (const [files, role] of [
      [compartment, 'compartment'],
      [context, 'context'],
    ] as const) {
      for (const f of files) {
        const module = await readModule(f);
        mods.push({ module, name: module.sourceFilename ?? f, role });
      }
    }
    return new Program(mods);
  }

  private add(pm: ProgramModule): void {
    this.modules.push(pm);
    const m = pm.module;
    for (const g of [...m.functions, ...m.globals, ...m.aliases, ...m.ifuncs] as GlobalValue[]) {
      if (isLocal(g) || !isDefined(g)) continue;
      const prior = this.exported.get(g.name);
      if (prior) {
        // weak / linkonce definitions may repeat; a strong one wins
        const strong = (x: GlobalValue) =>
          !['weak', 'weak_odr', 'linkonce', 'linkonce_odr', 'common', 'available_externally'].includes(x.linkage);
        if (strong(prior.value) && strong(g)) {
          this.notes.push({ kind: 'duplicate-definition', symbol: g.name, modules: [prior.module.name, pm.name] });
        }
        if (!strong(prior.value) && strong(g)) this.exported.set(g.name, { module: pm, value: g });
        continue;
      }
      this.exported.set(g.name, { module: pm, value: g });
    }
  }

  /** The definition a global value of `module` refers to: itself, or the one it links to. */
  resolve<T extends GlobalValue>(module: ProgramModule, g: T): Located {
    if (isDefined(g) || isLocal(g)) return { module, value: g };
    const def = this.exported.get(g.name);
    if (def && def.value.kind !== g.kind && !(def.value.kind === 'alias')) {
      this.notes.push({ kind: 'kind-mismatch', symbol: g.name, modules: [module.name, def.module.name] });
    }
    return def ?? { module, value: g };
  }

  /**
   * The global value an exported symbol names: its definition, else a declaration of it in some
   * module (the first), else undefined.
   */
  lookup(name: string): Located | undefined {
    const def = this.exported.get(name);
    if (def) return def;
    if (!this.declared) {
      this.declared = new Map();
      for (const pm of this.modules)
        for (const g of [...pm.module.functions, ...pm.module.globals] as GlobalValue[])
          if (!isLocal(g) && !this.declared.has(g.name)) this.declared.set(g.name, { module: pm, value: g });
    }
    return this.declared.get(name);
  }
  private declared: Map<string, Located> | undefined;

  /** The defined function a function of `module` links to, if the program has it. */
  definitionOf(module: ProgramModule, f: Function): Located<Function> | undefined {
    const r = this.resolve(module, f);
    return r.value.kind === 'function' && r.value.isDefinition ? (r as Located<Function>) : undefined;
  }

  /** The program-wide key of a global value: its name, or `module::name` when static. */
  static keyOf(module: ProgramModule, g: GlobalValue): string {
    return isLocal(g) ? `${module.name}::${g.name}` : g.name;
  }

  /** Every defined function with its module. */
  *definedFunctions(role?: ProgramModule['role']): Iterable<Located<Function>> {
    for (const pm of this.modules) {
      if (role && pm.role !== role) continue;
      for (const f of pm.module.functions) if (f.isDefinition) yield { module: pm, value: f };
    }
  }

  /** Every global variable with its module (definitions, and declarations no module defines). */
  *globalVariables(): Iterable<Located<GlobalVariable>> {
    for (const pm of this.modules) {
      for (const g of pm.module.globals) {
        if (g.isDeclaration && this.exported.has(g.name)) continue;
        yield { module: pm, value: g };
      }
    }
  }
}
