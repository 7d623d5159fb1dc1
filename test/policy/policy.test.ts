// The policy model: schema validation with field paths, JSON and CSV round
// trips, atomic writes, and the checked-in JSON Schema (validated by ajv, an
// independent implementation).
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import {
  accessesFromCsv,
  accessesToCsv,
  indirectCallsToCsv,
  type Policy,
  PolicyError,
  policyJsonSchema,
  readPolicy,
  validatePolicy,
  writePolicy,
} from '../../src/policy/index.js';

const frame = (fn: string, line: number) => ({ file: 'net/ipv6/route.c', line, column: 3, function: fn });
export const samplePolicy = (): Policy => ({
  schema: 'kcompart.policy',
  version: 1,
  generator: { tool: 'kcompart', version: '0.1.0' },
  compartment: { name: 'net/ipv6', modules: ['net/ipv6/route.c'], context: ['net/core/dst.c'], functions: ['rt6_insert_exception'] },
  allocationSites: [
    {
      id: 'net/ipv6/route.c:rt6_insert_exception:0',
      kind: 'slab',
      allocator: 'kmalloc_trace',
      caller: 'rt6_insert_exception',
      module: 'net/ipv6/route.c',
      location: [frame('rt6_insert_exception', 1712)],
      size: { constant: 64 },
      type: {
        name: 'struct rt6_exception',
        kind: 'struct',
        size: 64,
        evidence: [{ kind: 'debug-variable', type: 'struct rt6_exception', detail: 'rt6_ex' }],
      },
    },
  ],
  caches: [{ name: 'ip6_dst_cache', holder: '@ip6_dst_ops_template+200', createdAt: [frame('ip6_route_init', 6600)] }],
  accesses: [
    {
      id: 'net/ipv6/route.c:rt6_insert_exception:17',
      module: 'net/ipv6/route.c',
      function: 'rt6_insert_exception',
      op: 'store',
      width: 8,
      location: [frame('__hlist_del', 906), frame('rt6_insert_exception', 1748)],
      legal: {
        any: false,
        stack: false,
        globals: ['route.c::rt6_exception_lock'],
        slabCaches: ['ip6_dst_cache'],
        slabSites: ['net/ipv6/route.c:rt6_insert_exception:0'],
        buddySites: [],
        vmallocCallers: [],
        percpu: false,
        vmemmap: false,
        reasons: [{ kind: 'unknown-load', detail: 'pprev, "quoted"; with, commas' }],
      },
      binary: [
        {
          object: 'route.o',
          symbol: 'rt6_insert_exception',
          offset: 0x1a3,
          section: '.text',
          confidence: 'exact',
          operand: { base: 'rax', scale: 1, displacement: 8, width: 8 },
        },
      ],
    },
    {
      id: 'net/ipv6/route.c:rt6_insert_exception:18',
      module: 'net/ipv6/route.c',
      function: 'rt6_insert_exception',
      op: 'memset',
      callee: 'llvm.memset.p0.i64',
      location: [],
      legal: {
        any: true,
        stack: false,
        globals: [],
        slabCaches: [],
        slabSites: [],
        buddySites: [],
        vmallocCallers: [],
        percpu: false,
        vmemmap: false,
        reasons: [{ kind: 'int-to-ptr', detail: 'x' }],
      },
    },
  ],
});

describe('policy schema', () => {
  it('accepts a complete policy', () => {
    expect(validatePolicy(samplePolicy())).toEqual(samplePolicy());
  });
  it('names the bad field', () => {
    const p = samplePolicy() as unknown as { accesses: { legal: { globals: unknown } }[] };
    p.accesses[0]!.legal.globals = 'route.c::x';
    try {
      validatePolicy(p, 'p.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyError);
      expect((e as PolicyError).issues[0]!.path).toBe('accesses[0].legal.globals');
      expect((e as PolicyError).message).toMatch(/^p\.json: accesses\[0\]\.legal\.globals/);
    }
  });
  it('refuses unknown fields and other versions', () => {
    expect(() => validatePolicy({ ...samplePolicy(), extra: 1 })).toThrow(PolicyError);
    expect(() => validatePolicy({ ...samplePolicy(), version: 2 })).toThrow(/version/);
  });
});

describe('policy files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kcompart-policy-'));
  it('round-trips JSON', async () => {
    await writePolicy(join(dir, 'p.json'), samplePolicy());
    expect(await readPolicy(join(dir, 'p.json'))).toEqual(samplePolicy());
  });
  it('never writes half a policy', async () => {
    const bad = { ...samplePolicy(), accesses: [{ id: 1 }] } as unknown as Policy;
    await expect(writePolicy(join(dir, 'bad.json'), bad)).rejects.toBeInstanceOf(PolicyError);
    expect(existsSync(join(dir, 'bad.json'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('reports unreadable and non-JSON files', async () => {
    await expect(readPolicy(join(dir, 'none.json'))).rejects.toThrow(/cannot read/);
    writeFileSync(join(dir, 'garbage.json'), '{"schema":');
    await expect(readPolicy(join(dir, 'garbage.json'))).rejects.toThrow(/not JSON/);
  });
});

describe('CSV', () => {
  it('round-trips accesses, quoting what needs it', async () => {
    const csv = await accessesToCsv(samplePolicy());
    expect(csv.split('\n')[0]).toMatch(/^id,module,function,op,/);
    expect(csv).toContain('rt6_insert_exception+0x1a3');
    expect(await accessesFromCsv(csv)).toEqual(samplePolicy().accesses);
  });
  it('round-trips a frame slot, per-cpu variables and areas and run-time classes, and reads a CSV written before those columns', async () => {
    const p = samplePolicy();
    const a = p.accesses[0]!;
    a.frameSlot = true;
    a.legal = { ...a.legal, percpu: true, percpuGlobals: ['route.c::pcpu_var'], percpuAreas: true, classes: ['skb-head'] };
    const csv = await accessesToCsv(p);
    expect(await accessesFromCsv(csv)).toEqual(p.accesses);
    // an older CSV: the last four columns cut off, so those fields are simply absent
    const old = csv
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/,[^,]*,[^,]*,[^,]*,[^,]*$/, ''))
      .join('\n');
    const back = await accessesFromCsv(old);
    expect(back[0]!.frameSlot).toBeUndefined();
    expect(back[0]!.legal.percpuGlobals).toBeUndefined();
    expect(back[0]!.legal.classes).toBeUndefined();
    expect(back[1]).toEqual(samplePolicy().accesses[1]);
  });
  it('names row and column of a bad value', async () => {
    const csv = (await accessesToCsv(samplePolicy())).replace(',0,0,route.c::', ',0,maybe,route.c::');
    await expect(accessesFromCsv(csv, 'p.csv')).rejects.toThrow(/p\.csv: row 2\.stack/);
  });
  it('refuses a CSV without the expected columns', async () => {
    await expect(accessesFromCsv('a,b\n1,2\n', 'x.csv')).rejects.toThrow(/missing columns/);
  });
  it('writes indirect calls one a row, with their targets, fields and reasons', async () => {
    const policy = {
      ...samplePolicy(),
      indirectCalls: [
        {
          id: 'net/ipv6/af_inet6.c:inet6_ioctl:icall8',
          module: 'net/ipv6/af_inet6.c',
          function: 'inet6_ioctl',
          location: [{ file: 'net/ipv6/af_inet6.c', line: 599, column: 9, function: 'inet6_ioctl' }],
          signature: 'i32 (ptr, i32, i64)',
          prototype: 'int (struct sock *, int, unsigned long)',
          fields: [{ type: 'struct proto', offset: 40, member: 'ioctl' }],
          targets: [
            { symbol: 'rawv6_ioctl', module: 'net/ipv6/raw.c' },
            { symbol: 'udp_ioctl', module: 'net/ipv4/udp.c' },
          ],
          reasons: [{ kind: 'field-setters' as const, detail: 'x, "quoted"' }],
        },
      ],
    };
    expect(validatePolicy(policy)).toEqual(policy);
    const [header, row] = (await indirectCallsToCsv(policy)).split('\n');
    expect(header).toBe(
      'id,module,function,file,line,column,inlined_into,signature,prototype,fields,targets,target_count,reasons,location_json,targets_json,reasons_json',
    );
    expect(row).toContain('struct proto+40(ioctl),rawv6_ioctl@net/ipv6/raw.c;udp_ioctl@net/ipv4/udp.c,2,field-setters');
  });
});

describe('JSON Schema', () => {
  const file = join(import.meta.dirname, '../../schema/policy.schema.json');
  it('the checked-in schema is the generated one (npm run gen:schema)', () => {
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(policyJsonSchema());
  });
  it('validates a policy with an independent validator (ajv) and rejects a bad one', () => {
    const ajv = new Ajv2020.default({ strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(file, 'utf8')));
    expect(validate(samplePolicy()), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...samplePolicy(), accesses: [{}] })).toBe(false);
  });
});
