import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
// zod's own tree-shakable variant: the agent is a small CLI that starts in a blink, and loading the full zod (the
// API's) was most of its start-up (docs/benchmarks.md, An idle fleet).
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { NAME_RULES, reservedColumnName } from '#contracts';

// zod/mini carries no messages of its own: the English ones, as the full zod says them ("Invalid URL").
z.config(en());

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 };
const duration = z.string().check(z.regex(/^\d+(\.\d+)?[smhd]$/, 'a duration such as "24h", "90m" or "7d"'));
const seconds = (d: string) => Number(d.slice(0, -1)) * UNIT_SECONDS[d.slice(-1) as keyof typeof UNIT_SECONDS];

/** A table's name, by the rules the API checks (NAME_RULES). */
const tableName = z
  .string()
  .check(
    z.minLength(1, NAME_RULES.empty),
    z.maxLength(NAME_RULES.maxLength, NAME_RULES.tooLong),
    z.regex(NAME_RULES.pattern, NAME_RULES.shape),
  );
const columnName = tableName.check(
  z.superRefine((n, ctx) => {
    const reserved = reservedColumnName(n);
    if (reserved) ctx.addIssue({ code: 'custom', message: reserved, input: n });
  }),
);
const count = (min: number, max: number, fallback: number) =>
  z._default(z.int().check(z.gte(min), z.lte(max)), fallback);

const schema = z.object({
  api: z.object({
    url: z.url(),
    /** JSON file with customerId, databaseId and secret, written by `rowferry-agent register`. */
    credentialsFile: z.string().check(z.minLength(1)),
  }),
  /**
   * versionColumn: an existing column the application keeps (increasing on every insert and update) instead of
   * `track`'s.
   */
  source: z.discriminatedUnion(
    'type',
    [
      z.object({
        type: z.literal('sqlite'),
        path: z.string().check(z.minLength(1)),
        versionColumn: z.optional(columnName),
      }),
      z.object({
        type: z.literal('postgres'),
        url: z.string().check(z.regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')),
        schema: z._default(z.string().check(z.minLength(1)), 'public'),
        versionColumn: z.optional(columnName),
      }),
      // MariaDB only (10.3 or later): tracking uses its sequences, which MySQL does not have. `mysql` is the name
      // earlier releases used, kept as an alias.
      z.object({
        type: z.literal(['mariadb', 'mysql']),
        url: z.string().check(z.regex(/^(mysql|mariadb):\/\//, 'must be a mariadb:// or mysql:// URL')),
        versionColumn: z.optional(columnName),
      }),
    ],
    { error: 'source.type must be "sqlite", "postgres" or "mariadb"' },
  ),
  tables: z
    .array(
      z.object({
        name: tableName,
        key: z.optional(z.array(columnName).check(z.minLength(1))),
        /** `track` keeps this table's versions in a side table, leaving the table untouched (docs/sources.md). */
        sideTable: z.optional(z.boolean()),
        /**
         * The name of the cloud table it syncs to, when not its own: the way out when a table shared by name across a
         * fleet cannot take this database's definition (docs/sources.md, Fleets).
         */
        remoteName: z.optional(tableName),
        /**
         * Columns of a type the cloud cannot store with its meaning (a composite, an extension's type) that sync as
         * their text anyway: the table is refused until each such column is listed here (docs/sources.md).
         */
        asText: z.optional(z.array(columnName).check(z.minLength(1))),
      }),
    )
    .check(
      z.minLength(1, 'list at least one table to sync'),
      z.refine(
        (tables) => new Set(tables.map((t) => t.remoteName ?? t.name)).size === tables.length,
        'two tables sync to the same cloud table (check name and remoteName)',
      ),
    ),
  intervalSeconds: z._default(z.number().check(z.positive()), 30),
  batchRows: count(1, 100_000, 20_000),
  maxInFlight: count(1, 64, 4),
  /** The most rows one pass of the difference check verifies, continuing where the last one stopped. */
  sliceRows: count(1, 10_000_000, 500_000),
  /**
   * How often each table's difference check reads every row by key and version: a round spread over that time, in
   * slices sized by the table's rows (docs/difference-check.md, Schedule). A duration such as "6h", "90m", "1d".
   */
  verifyEvery: z.pipe(z._default(duration, '6h'), z.transform(seconds)),
  /**
   * How often each table's difference check runs a round by content (every column of every row, not only keys and
   * versions): a duration such as "24h", "90m", "7d", or 0 for never.
   */
  verifyContentEvery: z.pipe(
    z._default(z.union([z.literal(0), duration]), '24h'),
    z.transform((d) => (d === 0 ? 0 : seconds(d))),
  ),
  stateFile: z.optional(z.string().check(z.minLength(1))),
});

export type AgentConfig = z.infer<typeof schema> & { stateFile: string };

/**
 * Reads a YAML or JSON config; a bad one fails with one message naming each bad field. Paths are relative to the file.
 */
export function loadAgentConfig(path: string): AgentConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read config ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new Error(`bad config ${path}: ${fields.join('; ')}`);
  }
  const dir = dirname(resolve(path));
  const c = parsed.data;
  return {
    ...c,
    api: { ...c.api, credentialsFile: resolve(dir, c.api.credentialsFile) },
    source: c.source.type === 'sqlite' ? { ...c.source, path: resolve(dir, c.source.path) } : c.source,
    stateFile: resolve(dir, c.stateFile ?? 'rowferry-state.json'),
  };
}

/** Local table name → cloud table name, for the tables that sync under another name. */
export function remoteNames(config: Pick<AgentConfig, 'tables'>): Map<string, string> {
  return new Map(config.tables.flatMap((t) => (t.remoteName ? [[t.name, t.remoteName] as const] : [])));
}

export interface Credentials {
  customerId: string;
  databaseId: string;
  secret: string;
}

/** The database's credentials; ROWFERRY_SECRET, when set, overrides the secret in the file. */
export function loadCredentials(config: AgentConfig, env: NodeJS.ProcessEnv = process.env): Credentials {
  let creds: Partial<Credentials>;
  try {
    creds = JSON.parse(readFileSync(config.api.credentialsFile, 'utf8'));
  } catch (err) {
    throw new Error(
      `cannot read credentials ${config.api.credentialsFile} (run "rowferry-agent register" first): ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const secret = env.ROWFERRY_SECRET ?? creds.secret;
  if (!creds.customerId || !creds.databaseId || !secret)
    throw new Error(`credentials ${config.api.credentialsFile} must hold customerId, databaseId and secret`);
  return { customerId: creds.customerId, databaseId: creds.databaseId, secret };
}
