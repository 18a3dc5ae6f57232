/**
 * A small JSON Schema (2020-12) validator for the keywords manifest.schema.json uses, so the tests
 * need no extra dependency. Unknown keywords throw rather than pass silently.
 */
type Schema = Record<string, unknown> | boolean;

const KNOWN = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  '$defs',
  '$ref',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'minLength',
  'pattern',
  'oneOf',
  'minProperties',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export function validate(root: Record<string, unknown>, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    const path = ref.replace(/^#\//, '').split('/');
    let node: unknown = root;
    for (const part of path) node = (node as Record<string, unknown>)[part];
    if (node === undefined) throw new Error(`unresolved $ref ${ref}`);
    return node as Schema;
  };
  const check = (schema: Schema, v: unknown, at: string, out: string[]): void => {
    if (schema === true) return;
    if (schema === false) return void out.push(`${at}: not allowed`);
    for (const key of Object.keys(schema))
      if (!KNOWN.has(key)) throw new Error(`validator does not know keyword ${key}`);
    if (typeof schema['$ref'] === 'string') check(resolve(schema['$ref']), v, at, out);
    if (schema['type'] !== undefined) {
      const types = ([] as string[]).concat(schema['type'] as string | string[]);
      const actual = typeOf(v);
      if (!types.includes(actual) && !(actual === 'integer' && types.includes('number')))
        out.push(`${at}: expected ${types.join('|')}, got ${actual}`);
    }
    if (schema['enum'] !== undefined && !(schema['enum'] as unknown[]).includes(v))
      out.push(`${at}: ${JSON.stringify(v)} not in ${JSON.stringify(schema['enum'])}`);
    if (schema['const'] !== undefined && schema['const'] !== v)
      out.push(`${at}: must be ${JSON.stringify(schema['const'])}`);
    if (typeof v === 'number') {
      if (typeof schema['minimum'] === 'number' && v < schema['minimum'])
        out.push(`${at}: ${v} < ${schema['minimum']}`);
      if (typeof schema['maximum'] === 'number' && v > schema['maximum'])
        out.push(`${at}: ${v} > ${schema['maximum']}`);
    }
    if (typeof v === 'string') {
      if (typeof schema['minLength'] === 'number' && v.length < schema['minLength'])
        out.push(`${at}: shorter than ${schema['minLength']}`);
      if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern']).test(v))
        out.push(`${at}: ${JSON.stringify(v)} does not match ${schema['pattern']}`);
    }
    if (Array.isArray(v)) {
      if (typeof schema['minItems'] === 'number' && v.length < schema['minItems'])
        out.push(`${at}: fewer than ${schema['minItems']} items`);
      if (typeof schema['maxItems'] === 'number' && v.length > schema['maxItems'])
        out.push(`${at}: more than ${schema['maxItems']} items`);
      if (schema['items'] !== undefined)
        v.forEach((item, i) => check(schema['items'] as Schema, item, `${at}[${i}]`, out));
    }
    if (typeOf(v) === 'object') {
      const object = v as Record<string, unknown>;
      const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
      for (const key of (schema['required'] ?? []) as string[])
        if (!(key in object)) out.push(`${at}: missing "${key}"`);
      if (
        typeof schema['minProperties'] === 'number' &&
        Object.keys(object).length < schema['minProperties']
      )
        out.push(`${at}: fewer than ${schema['minProperties']} properties`);
      for (const [key, item] of Object.entries(object)) {
        if (key in properties) check(properties[key]!, item, `${at}.${key}`, out);
        else if (schema['additionalProperties'] !== undefined)
          check(schema['additionalProperties'] as Schema, item, `${at}.${key}`, out);
      }
    }
    if (Array.isArray(schema['oneOf'])) {
      const results = (schema['oneOf'] as Schema[]).map((option) => {
        const optionErrors: string[] = [];
        check(option, v, at, optionErrors);
        return optionErrors;
      });
      const matching = results.filter((r) => r.length === 0).length;
      if (matching !== 1)
        out.push(
          `${at}: matches ${matching} of oneOf (${results.map((r) => r[0] ?? 'ok').join(' | ')})`,
        );
    }
  };
  check(root, value, '$', errors);
  return errors;
}
