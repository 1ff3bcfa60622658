import { castType, isNativeType, PG_TYPES, type ColumnDef, type ColumnType } from '#contracts';

type Typed = Pick<ColumnDef, 'type' | 'native'>;

/** The PostgreSQL type of a column, as format_type() prints it. */
export function pgType(c: ColumnDef): string {
  if (c.length !== undefined && c.type === 'text') return `character varying(${c.length})`;
  if (c.length !== undefined && c.type === 'char') return `character(${c.length})`;
  return castType(c);
}

/** The column a type as format_type() prints it stands for (the inverse of pgType); undefined for any other type. */
export function columnOfPgType(name: string, printed: string): ColumnDef | undefined {
  const varchar = /^character varying\((\d+)\)$/.exec(printed);
  if (varchar) return { name, type: 'text', length: Number(varchar[1]) };
  const char = /^character\((\d+)\)$/.exec(printed);
  if (char) return { name, type: 'char', length: Number(char[1]) };
  const type = (Object.keys(PG_TYPES) as Exclude<ColumnType, 'native'>[]).find((t) => PG_TYPES[t] === printed);
  if (type) return { name, type };
  return isNativeType(printed) ? { name, type: 'native', native: printed } : undefined;
}

/**
 * A stored value read back as the tenant declared it: a shared column may have been widened for another tenant
 * (docs/sources.md, Fleets), and its values are then printed as the tenant's own type would print them. A no-op cast
 * where the types agree; text casts to plain text, so a value is never cut to a declared length.
 */
export function asDeclaredSql(c: Typed, expr: string): string {
  return `${expr}::${castType(c)}`;
}

/** SQL that turns a wire value (passed as text) into the column's type. Values travel as text so nothing is rounded. */
export function fromWireSql(c: Typed, expr: string): string {
  if (c.type === 'bytea') return `decode(${expr}, 'base64')`;
  if (c.type === 'text') return expr;
  return `${expr}::${castType(c)}`;
}

/** SQL for the canonical text of a key column, byte for byte what canonicalKeyPart gives for the same value. */
export function canonicalKeySql(type: ColumnType, expr: string): string {
  switch (type) {
    case 'text':
      return expr;
    case 'char':
      return `${expr}::text`; // without its padding, as canonicalKeyPart
    case 'bytea':
      return `translate(encode(${expr}, 'base64'), E'\\n', '')`;
    case 'date':
      return `to_char(${expr}, 'YYYY-MM-DD')`;
    case 'bigint':
    case 'uuid':
    case 'boolean':
      return `${expr}::text`;
    default:
      throw new Error(`type ${type} cannot be part of a key`);
  }
}
