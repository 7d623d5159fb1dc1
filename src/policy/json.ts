// Reading and writing policies as JSON: validated on the way in and out, and
// written atomically (a temporary file renamed into place) so a policy on disk
// is never half-written.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { z } from 'zod';
import { PolicyError } from './errors.js';
import { type Policy, PolicySchema } from './schema.js';

/** zod issues → PolicyError issues with dotted / indexed paths. */
export function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({
    path: i.path.map((p, k) => (typeof p === 'number' ? `[${p}]` : `${k ? '.' : ''}${String(p)}`)).join(''),
    message: i.message,
  }));
}

/** Checks a value against the policy schema. @throws {@link PolicyError} naming each bad field. */
export function validatePolicy(value: unknown, file = '<memory>'): Policy {
  const r = PolicySchema.safeParse(value);
  if (!r.success) throw new PolicyError(file, issuesOf(r.error));
  return r.data;
}

/** Reads and validates a policy JSON file. @throws {@link PolicyError} */
export async function readPolicy(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new PolicyError(path, [{ path: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PolicyError(path, [{ path: '', message: `not JSON: ${(e as Error).message}` }]);
  }
  return validatePolicy(value, path);
}

/** Serializes a policy (validated first) with stable two-space indentation. */
export function policyToJson(policy: Policy): string {
  return `${JSON.stringify(validatePolicy(policy), null, 2)}\n`;
}

/** Writes a file whole or not at all: temporary file in the same folder, then rename. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new PolicyError(path, [{ path: '', message: `cannot write: ${(e as Error).message}` }]);
  }
}

/** Validates and writes a policy JSON file atomically. @throws {@link PolicyError} */
export async function writePolicy(path: string, policy: Policy): Promise<void> {
  let json: string;
  try {
    json = policyToJson(policy);
  } catch (e) {
    if (e instanceof PolicyError) throw new PolicyError(path, e.issues);
    throw e;
  }
  await writeFileAtomic(path, json);
}
