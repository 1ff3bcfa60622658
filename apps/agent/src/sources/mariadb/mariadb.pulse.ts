/**
 * The pulse of a MariaDB source in one statement (Source.pulse): the counter as trackedCounter reads it (the sequence
 * is NOCACHE, so every NEXTVAL moves it), the newest marker, and what describe reads of the tables and their tracking
 * tables (columns with their types, the primary key in order). `tables` holds the table names and their tracking
 * tables'; `probed` are SQL names of the tables whose rows without a version are looked for.
 */
export function pulseQuery(
  sequence: string,
  markers: string,
  tables: string[],
  probed: string[],
  versionColumn: string,
): { sql: string; values: unknown[] } {
  const probes = probed.map((t) => `, EXISTS (SELECT 1 FROM ${t} WHERE ${versionColumn} IS NULL)`).join('');
  const names = tables.map(() => '?').join(', ');
  return {
    sql: `SET STATEMENT group_concat_max_len = 4194304 FOR
          SELECT (SELECT next_not_cached_value - 1 FROM ${sequence}),
                 (SELECT id FROM ${markers} ORDER BY seq DESC LIMIT 1),
                 (SELECT GROUP_CONCAT(CONCAT_WS(':', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE)
                           ORDER BY TABLE_NAME, ORDINAL_POSITION SEPARATOR ' ')
                    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${names})),
                 (SELECT GROUP_CONCAT(CONCAT_WS(':', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME)
                           ORDER BY TABLE_NAME, ORDINAL_POSITION SEPARATOR ' ')
                    FROM information_schema.KEY_COLUMN_USAGE
                   WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'PRIMARY' AND TABLE_NAME IN (${names}))${probes}`,
    values: [...tables, ...tables],
  };
}
