/** A trigger as `sqlite_master` keeps it: its name and the statement that created it. */
export interface SqliteTrigger {
  name: string;
  sql: string;
}

/** A name as SQLite's grammar allows it: quoted three ways, or a bare word (possibly `schema.name`). */
const NAME = String.raw`(?:"(?:[^"]|"")*"|\x60(?:[^\x60]|\x60\x60)*\x60|\[[^\]]*\]|[^\s"\x60\[(]+)`;
const HEADER = new RegExp(
  String.raw`^\s*CREATE\s+(?:TEMP(?:ORARY)?\s+)?TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:${NAME}\s*\.\s*)?${NAME}\s*` +
    String.raw`(?:BEFORE\s+|AFTER\s+|INSTEAD\s+OF\s+)?(DELETE|INSERT|UPDATE)(\s+OF\s([\s\S]*?)\sON\s)?`,
  'i',
);

/**
 * Whether a version column's stamp, an UPDATE setting only that column, fires the trigger: an UPDATE trigger without an
 * `OF` column list, or one whose list names the version column. A statement this cannot read counts as firing: a side
 * table is never wrong, only a little slower.
 */
export function firesOnStamp(sql: string, versionColumn: string): boolean {
  const header = HEADER.exec(sql);
  if (!header) return true;
  if (header[1].toUpperCase() !== 'UPDATE') return false;
  return header[2] === undefined || header[3].toLowerCase().includes(versionColumn.toLowerCase());
}

/**
 * Why a table cannot carry a version column, if it cannot. SQLite has no way to stamp a row but an UPDATE after the
 * write (a BEFORE trigger cannot change NEW), and nothing turns the application's triggers off for it: a table whose
 * own update triggers would run on each stamp, on every insert and on the numbering of every existing row (one that
 * sets `last_update` would rewrite it), is tracked with a side table, which leaves the table alone. So is a
 * `WITHOUT ROWID` table: the stamp finds its row by rowid.
 */
export function sideTableReason(
  withoutRowid: boolean,
  triggers: readonly SqliteTrigger[],
  versionColumn: string,
): string | undefined {
  if (withoutRowid) return 'it is a WITHOUT ROWID table, and a version column is stamped by rowid';
  const firing = triggers.filter((t) => !t.name.startsWith('_rowferry_') && firesOnStamp(t.sql, versionColumn));
  if (firing.length === 0) return undefined;
  const names = firing.map((t) => `"${t.name}"`).join(', ');
  return `the application's update trigger${firing.length > 1 ? 's' : ''} ${names} would run on every stamp of a version column (on each insert, and on each row track numbers)`;
}
