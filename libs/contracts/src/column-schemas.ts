import { z } from 'zod';
import {
  COLUMN_TYPES,
  KEY_COLUMN_TYPES,
  MAX_KEY_COLUMNS,
  MAX_TABLE_COLUMNS,
  NAME_RULES,
  reservedColumnName,
  type ColumnDef,
  type TableDefinition,
} from './columns.js';
import { isNativeType } from './native-types.js';

/** The schemas the API checks tables and names with; the agent, which loads no zod classic, checks its config alone. */
const identifier = z
  .string()
  .min(1, NAME_RULES.empty)
  .max(NAME_RULES.maxLength, NAME_RULES.tooLong)
  .regex(NAME_RULES.pattern, NAME_RULES.shape);

export const tableNameSchema = identifier;

export const columnNameSchema = identifier.superRefine((n, ctx) => {
  const reserved = reservedColumnName(n);
  if (reserved) ctx.addIssue({ code: 'custom', message: reserved });
});

export const columnDefSchema = z
  .object({
    name: columnNameSchema,
    type: z.enum(COLUMN_TYPES),
    /** For text: the declared maximum length (varchar(n)); for char: its length (char(n)). Enforced remotely. */
    length: z.number().int().min(1).max(10_485_760).optional(),
    /** For native: the PostgreSQL type, as format_type() prints it (`tsvector`, `bit(5)`, `integer[]`). */
    native: z.string().max(80).optional(),
  })
  .refine((c) => c.length === undefined || c.type === 'text' || c.type === 'char', {
    message: 'only text and char columns can have a length',
    path: ['length'],
  })
  .refine((c) => (c.type === 'native') === (c.native !== undefined), {
    message: 'a native column, and only one, names its PostgreSQL type',
    path: ['native'],
  })
  .refine((c) => c.native === undefined || isNativeType(c.native), {
    message: 'is not a PostgreSQL type rowferry stores as itself (docs/sources.md, Types and their meaning)',
    path: ['native'],
  }) satisfies z.ZodType<ColumnDef>;

export const tableDefinitionSchema = z
  .object({
    columns: z
      .array(columnDefSchema)
      .min(1, 'a table needs at least one column')
      .max(MAX_TABLE_COLUMNS, `a table can have at most ${MAX_TABLE_COLUMNS} columns`),
    key: z
      .array(columnNameSchema)
      .min(1, 'a table needs a key: a primary key or a configured key')
      .max(
        MAX_KEY_COLUMNS,
        `a key can have at most ${MAX_KEY_COLUMNS} columns (PostgreSQL indexes at most 32, one is the tenant)`,
      ),
  })
  .superRefine((def, ctx) => {
    const byName = new Map<string, ColumnDef>();
    for (const c of def.columns) {
      if (byName.has(c.name))
        ctx.addIssue({ code: 'custom', message: `column "${c.name}" is listed twice`, path: ['columns'] });
      byName.set(c.name, c);
    }
    for (const k of def.key) {
      const col = byName.get(k);
      if (!col) ctx.addIssue({ code: 'custom', message: `key column "${k}" is not among the columns`, path: ['key'] });
      else if (!KEY_COLUMN_TYPES.includes(col.type))
        ctx.addIssue({
          code: 'custom',
          message: `key column "${k}" has type ${col.type}; key columns must be one of ${KEY_COLUMN_TYPES.join(', ')}`,
          path: ['key'],
        });
    }
    if (new Set(def.key).size !== def.key.length)
      ctx.addIssue({ code: 'custom', message: 'a key column is listed twice', path: ['key'] });
  }) satisfies z.ZodType<TableDefinition>;
