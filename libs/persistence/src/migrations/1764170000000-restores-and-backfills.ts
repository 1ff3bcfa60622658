import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the server must remember because the agent's state cannot be trusted to (docs/sync-model.md, Restores;
 * docs/architecture.md, Remote storage):
 * - each database's restore markers (the server is the memory of the timeline);
 * - per table, the timeline: a counter bumped by every range delete, carried by every upload and key delete, so a
 *   job made before a rewind (retried by hand, say) can never write into the new timeline;
 * - per table, a pending backfill of added columns: where re-sending the existing rows has got to.
 */
export class RestoresAndBackfills1764170000000 implements MigrationInterface {
  name = 'RestoresAndBackfills1764170000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE database_markers (
      database_id uuid NOT NULL REFERENCES databases(id),
      marker_id uuid NOT NULL,
      seq bigserial NOT NULL,
      watermark bigint NOT NULL CHECK (watermark >= 0),
      retired boolean NOT NULL DEFAULT false,
      written_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (database_id, marker_id))`);
    await q.query(`CREATE INDEX database_markers_seq ON database_markers (database_id, seq DESC)`);
    await q.query(`ALTER TABLE table_stats ADD COLUMN timeline bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE table_stats ADD COLUMN backfill_from bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE table_stats DROP COLUMN backfill_from, DROP COLUMN timeline`);
    await q.query(`DROP TABLE database_markers`);
  }
}
