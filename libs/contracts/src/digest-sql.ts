import type { ColumnDef, ColumnType } from './columns.js';

/**
 * How a difference check hashes a row (docs/difference-check.md, Hashes). `md5` is the formula every engine and the
 * agent's JavaScript can compute (range-digest.ts). `hashtext` is PostgreSQL's own hashtextextended, five times
 * cheaper than md5 in SQL, for a PostgreSQL source: both sides then compute every digest in SQL, content included.
 */
export const DIGEST_HASHES = ['md5', 'hashtext'] as const;
export type DigestHash = (typeof DIGEST_HASHES)[number];

/** How each rowferry column type is stored remotely (a native column: as its own type, castType). */
export const PG_TYPES: Record<Exclude<ColumnType, 'native'>, string> = {
  bigint: 'bigint',
  double: 'double precision',
  numeric: 'numeric',
  text: 'text',
  char: 'bpchar',
  bytea: 'bytea',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  json: 'jsonb',
  uuid: 'uuid',
};

/** The PostgreSQL type a column's values are cast to: its type without a length (a cast never cuts a value). */
export function castType(c: Pick<ColumnDef, 'type' | 'native'>): string {
  return c.type === 'native' ? c.native! : PG_TYPES[c.type];
}

/**
 * SQL for a stored value's text in a content check: bytea as base64, booleans as true/false, the rest as PostgreSQL
 * prints them under DateStyle ISO, TimeZone UTC and extra_float_digits 1 (which the reading session sets); a char as
 * text, which drops its padding.
 */
export function contentTextSql(type: ColumnType, expr: string): string {
  if (type === 'bytea') return `translate(encode(${expr}, 'base64'), E'\\n', '')`;
  if (type === 'boolean') return `CASE WHEN ${expr} THEN 'true' WHEN NOT ${expr} THEN 'false' END`;
  return `${expr}::text`;
}

/** SQL for a row's hash input (rowHashInput): the canonical key parts, each length-prefixed, `|`, the version. */
export function keyHashInputSql(keyParts: readonly string[], version: string): string {
  return `concat(${keyParts.map((p) => `octet_length(${p}), ':', ${p}`).join(', ')}, '|', ${version})`;
}

/** One content column of a row hash: its value (for NULL) and the SQL of its canonical text. */
export interface ContentCellSql {
  value: string;
  text: string;
}

/**
 * SQL for a row's hash as a signed 60- (md5) or 64-bit (hashtext) integer. md5 is the first 60 bits of md5 over the
 * input, as range-digest.ts computes it. hashtext hashes the input; with content, each cell is hashed with its
 * position as the seed (so values cannot trade places), NULL as that position, and the XOR of key and cells hashed
 * again, so content cannot move between rows without changing the digest.
 */
export function rowHashSql(hash: DigestHash, input: string, cells?: readonly ContentCellSql[]): string {
  if (hash === 'md5') {
    if (cells) throw new Error('an md5 content digest is computed in JavaScript, not in SQL');
    return `('x' || substr(md5(${input}), 1, 15))::bit(60)::bigint`;
  }
  const key = `hashtextextended(${input}, 0)`;
  if (!cells) return key;
  const hashed = cells.map(
    (c, i) => `CASE WHEN ${c.value} IS NULL THEN ${i + 1} ELSE hashtextextended(${c.text}, ${i + 1}) END`,
  );
  return `hashint8extended(${[key, ...hashed].join(' # ')}, 0)`;
}

/** SQL for a range's count and digest (exact sum as text) over rows whose version column is `version`. */
export function digestAggregatesSql(rowHash: string, version: string): string {
  return `count(${version}) AS n, coalesce(sum(${rowHash}) FILTER (WHERE ${version} IS NOT NULL), 0)::text AS s`;
}
