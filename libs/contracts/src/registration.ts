import {
  COLUMN_TYPES,
  columnTypeName,
  commonColumn,
  type ColumnDef,
  type ColumnType,
  type TableDefinition,
} from './columns.js';

/**
 * Types a column earlier agents declared text may be declared as now: every type whose text form, as PostgreSQL
 * printed it, it reads back (docs/sources.md, Types and their meaning). Not the string types (their own rules) nor
 * bytea (its text form is not what the agent sent).
 */
const NAMED_LATER: readonly ColumnType[] = COLUMN_TYPES.filter((t) => t !== 'text' && t !== 'char' && t !== 'bytea');

/** A database's registration of one table, as the server keeps it. */
export interface Registration {
  columns: ColumnDef[];
  key: string[];
}

export type MergedDefinition =
  | {
      ok: true;
      definition: TableDefinition;
      added: string[];
      /** Columns registered as text(n) that the agent now declares char(n): their stored values lose the padding. */
      unpadded: string[];
      /** Columns registered as text that the agent now declares the type they held the text of. */
      named: ColumnDef[];
    }
  | { ok: false; reason: string };

/**
 * The registration after a new definition from the agent: columns only ever accumulate (a column missing from a
 * later definition stays). A changed key or column type is refused, saying what differs.
 */
export function mergeDefinition(
  table: string,
  existing: Registration | undefined,
  def: TableDefinition,
): MergedDefinition {
  if (existing && existing.key.join() !== def.key.join())
    return {
      ok: false,
      reason: `table "${table}" is registered with key (${existing.key.join(', ')}); changing it to (${def.key.join(', ')}) is refused`,
    };
  const columns = new Map<string, ColumnDef>((existing?.columns ?? []).map((c) => [c.name, c]));
  const added: string[] = [];
  const unpadded: string[] = [];
  const named: ColumnDef[] = [];
  for (const c of def.columns) {
    const had = columns.get(c.name);
    // A column widened locally (a fleet's new version: text(20) → text(50), bigint → numeric) is taken; narrowed, not.
    const widened =
      had && !def.key.includes(c.name) && columnTypeName(commonColumn(had, c) ?? had) === columnTypeName(c);
    // Agents before char(n) had a type of its own declared it text(n), its padding sent as part of the value: the
    // same column, now read without it (a key too: its values stay distinct, as char compares).
    const unpadding = had?.type === 'text' && c.type === 'char' && had.length === c.length;
    if (unpadding) unpadded.push(c.name);
    // A type earlier agents had no name for (a domain) travelled as its text: what was stored is that type's text
    // form, which the type now declared reads back.
    const naming = had?.type === 'text' && had.length === undefined && NAMED_LATER.includes(c.type);
    if (naming && !def.key.includes(c.name)) named.push(c);
    if (
      had &&
      columnTypeName(had) !== columnTypeName(c) &&
      !widened &&
      !unpadding &&
      !(naming && !def.key.includes(c.name))
    )
      return {
        ok: false,
        reason: `column "${c.name}" of table "${table}" is registered as ${columnTypeName(had)}; changing it to ${columnTypeName(c)} is refused`,
      };
    if (!had) added.push(c.name);
    columns.set(c.name, c);
  }
  return {
    ok: true,
    definition: { columns: [...columns.values()], key: def.key },
    added: existing ? added : [],
    unpadded,
    named,
  };
}
