import type { ColumnType } from './columns.js';
import { withoutPadding } from './content.js';
import type { WireValue } from './wire.js';

/**
 * The canonical encoding of a row key: a JSON array of one canonical string per key column. The agent computes
 * it from wire values, the worker from PostgreSQL (see canonicalKeySql in persistence); both must produce the same
 * bytes. A JSON array has no separator collisions: (1,'11') and (11,'1') encode differently.
 */
export function encodeKey(types: readonly ColumnType[], values: readonly WireValue[]): string {
  if (types.length !== values.length)
    throw new Error(`a key has ${types.length} columns but ${values.length} values were given`);
  return JSON.stringify(values.map((v, i) => canonicalKeyPart(types[i], v)));
}

/** The wire values of a canonical key, for a delete by key. */
export function decodeKey(types: readonly ColumnType[], key: string): WireValue[] {
  const parts: unknown = JSON.parse(key);
  if (!Array.isArray(parts) || parts.length !== types.length || parts.some((p) => typeof p !== 'string'))
    throw new Error(`not a canonical key for ${types.length} columns: ${key}`);
  return (parts as string[]).map((p, i) => (types[i] === 'boolean' ? p === 'true' : p));
}

export function canonicalKeyPart(type: ColumnType, value: WireValue): string {
  if (value === null) throw new Error('a key value must not be NULL');
  switch (type) {
    case 'bigint':
      return BigInt(value as string | number).toString();
    case 'text':
    case 'bytea':
    case 'date':
      return String(value);
    case 'char':
      return withoutPadding(String(value));
    case 'uuid':
      return String(value).toLowerCase();
    case 'boolean':
      return value === true || value === 'true' || value === 't' || value === 1 ? 'true' : 'false';
    default:
      throw new Error(`type ${type} cannot be part of a key`);
  }
}
