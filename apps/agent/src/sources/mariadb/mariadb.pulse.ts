/**
 * The pulse of a MariaDB source in one statement (Source.pulse): the counter as trackedCounter reads it (the sequence
 * is NOCACHE, so every NEXTVAL moves it; its cache size too, should anyone change it), the newest marker, and what
 * describe reads of the tables and their tracking tables (columns with their types, the primary key in order), hashed
 * in SQL. `tables` holds the table names and their tracking tables'; `perTable`, scalar subqueries read after them.
 */
export function pulseQuery(
  sequence: string,
  markers: string,
  tables: string[],
  perTable: string[],
): { sql: string; values: unknown[] } {
  const names = tables.map(() => '?').join(', ');
  return {
    sql: `SET STATEMENT group_concat_max_len = 67108864 FOR
          SELECT (SELECT next_not_cached_value - 1 FROM ${sequence}), (SELECT cache_size FROM ${sequence}),
                 (SELECT id FROM ${markers} ORDER BY seq DESC LIMIT 1),
                 (SELECT MD5(GROUP_CONCAT(CONCAT_WS(':', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE)
                           ORDER BY TABLE_NAME, ORDINAL_POSITION SEPARATOR ' '))
                    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${names})),
                 (SELECT MD5(GROUP_CONCAT(CONCAT_WS(':', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME)
                           ORDER BY TABLE_NAME, ORDINAL_POSITION SEPARATOR ' '))
                    FROM information_schema.KEY_COLUMN_USAGE
                   WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'PRIMARY' AND TABLE_NAME IN (${names}))${perTable.map((e) => `, ${e}`).join('')}`,
    values: [...tables, ...tables],
  };
}
