import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { BenchItem } from '../benchmarks/types.ts';
import { type Scorer, unscored, verdict } from './types.ts';

/**
 * JSON-schema validity: the response (or the JSON inside its ``` fence) must parse and satisfy the
 * benchmark's schema. Ajv compiles the schema once; `format` is an annotation only (as JSON Schema
 * 2020-12 says by default), and $ref may only point inside the schema: nothing is fetched.
 */

function refsOutside(node: unknown, path: string, out: string[]): void {
  if (Array.isArray(node)) {
    for (const [i, v] of node.entries()) refsOutside(v, `${path}/${i}`, out);
  } else if (node !== null && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) {
      if (
        (k === '$ref' || k === '$dynamicRef' || k === '$recursiveRef') &&
        typeof v === 'string' &&
        !v.startsWith('#')
      )
        out.push(`${path}/${k} = ${JSON.stringify(v)}`);
      refsOutside(v, `${path}/${k}`, out);
    }
}

function ajvFor(schema: Record<string, unknown>): Ajv {
  const draft = typeof schema.$schema === 'string' ? schema.$schema : '';
  // strictSchema: a misspelt keyword ("requird") is an error at load, not a schema that accepts
  // everything. Ajv's stricter checks (tuples, types, required) would refuse valid schemas: off.
  const opts = {
    strictSchema: true,
    strictNumbers: true,
    strictTuples: false,
    strictTypes: false,
    strictRequired: false,
    validateFormats: false,
  } as const;
  if (draft.includes('2020-12')) return new Ajv2020(opts);
  if (draft.includes('2019-09')) return new Ajv2019(opts);
  return new Ajv(opts);
}

function compile(schema: Record<string, unknown>): ValidateFunction {
  const outside: string[] = [];
  refsOutside(schema, '#', outside);
  if (outside.length > 0)
    throw new Error(`$ref may only point inside the schema (#/...); found ${outside.slice(0, 3).join(', ')}`);
  return ajvFor(schema).compile(schema);
}

/** Why a schema cannot be used (for the benchmark loader), or null. */
export function jsonSchemaProblem(schema: Record<string, unknown>): string | null {
  try {
    compile(schema);
    return null;
  } catch (err) {
    return `invalid JSON schema: ${(err as Error).message}`;
  }
}

/** The JSON text of a response: the content of its first ``` fence if it has one, else the whole (trimmed). */
export function jsonText(response: string): string {
  const fence = /```[A-Za-z0-9_-]*[ \t]*\r?\n([\s\S]*?)```/.exec(response);
  return (fence ? fence[1]! : response).trim();
}

export function jsonSchemaScorer(config: { schema: Record<string, unknown> }): Scorer {
  const validate = compile(config.schema);
  return {
    async score(response: string, _item: BenchItem) {
      const text = jsonText(response);
      if (text === '') return unscored();
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return verdict(false, text);
      }
      return verdict(validate(value), text);
    },
  };
}
