/** Where the remote PostgreSQL is. One variable, the usual URL form. */
export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/rowferry';
}
