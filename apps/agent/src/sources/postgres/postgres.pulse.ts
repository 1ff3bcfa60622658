import { TRACKING_SCHEMA } from './postgres.tracking.js';

/**
 * The pulse of a PostgreSQL source in one statement (Source.pulse): the counter as trackedCounter reads it, the newest
 * marker, and the catalog rows describe and the children's tracking read (columns, keys and indexes, triggers,
 * inheritance at every depth), each named with its transaction id: any DDL on them writes a new row version. ANALYZE
 * and VACUUM update pg_class in place and change nothing here; the sequence's own row (pg_sequence) moves with an ALTER
 * SEQUENCE. The catalog part is hashed in SQL, so that thousands of partitions still answer in a few bytes. `tables`
 * and `tracking` are SQL names (schema-qualified, quoted); `perTable`, scalar subqueries read after them.
 */
export function pulseQuery(
  tables: string[],
  tracking: string[],
  perTable: string[],
): { text: string; values: unknown[] } {
  return {
    text: `WITH RECURSIVE tree(oid) AS (
             SELECT to_regclass(t)::oid FROM unnest($1::text[]) t
             UNION SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.oid),
           parts(oid) AS (SELECT oid FROM tree UNION SELECT to_regclass(t)::oid FROM unnest($2::text[]) t)
           SELECT (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM ${TRACKING_SCHEMA}.version_seq),
                  (SELECT id FROM ${TRACKING_SCHEMA}.markers ORDER BY seq DESC LIMIT 1),
                  (SELECT md5(string_agg(x, ' ' ORDER BY x)) FROM (
                     SELECT 'c' || c.oid || ':' || c.xmin FROM pg_class c JOIN parts p ON c.oid = p.oid
                     UNION ALL SELECT 'a' || a.attrelid || '.' || a.attnum || ':' || a.xmin
                       FROM pg_attribute a JOIN parts p ON a.attrelid = p.oid WHERE a.attnum > 0
                     UNION ALL SELECT 'i' || i.indexrelid || ':' || i.xmin FROM pg_index i JOIN parts p ON i.indrelid = p.oid
                     UNION ALL SELECT 'h' || i.inhrelid || '<' || i.inhparent || ':' || i.xmin
                       FROM pg_inherits i JOIN parts p ON i.inhparent = p.oid
                     UNION ALL SELECT 't' || g.oid || ':' || g.xmin FROM pg_trigger g JOIN parts p ON g.tgrelid = p.oid
                     UNION ALL SELECT 's' || q.xmin FROM pg_sequence q WHERE q.seqrelid = '${TRACKING_SCHEMA}.version_seq'::regclass
                  ) s(x))${perTable.map((e) => `, ${e}`).join('')}`,
    values: [tables, tracking],
  };
}
