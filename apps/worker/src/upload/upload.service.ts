import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import {
  newestPerKey,
  rowKey,
  rowKeys,
  sliceKeys,
  sliceRows,
  type ColumnarRows,
  type DeletedKeys,
  type UploadJob,
  type UploadResult,
} from '#contracts';
import {
  classifyPgError,
  deleteRows,
  describePgError,
  forgetQuarantined,
  hasQuarantine,
  insertNewRows,
  quarantineRows,
  recordUpload,
  replaceRows,
  resolveQuarantine,
  upsertRows,
  type AppliedUpload,
  type PoisonRow,
} from '#persistence';
import { JobRunner, type JobMeta } from '../jobs/job-runner.js';

/**
 * Applies upload jobs: version-guarded upserts, with rows PostgreSQL refuses isolated into the quarantine, and the
 * version-guarded deletes of keys deleted locally in the same range.
 */
@Injectable()
export class UploadService {
  private readonly newRows = new NewRowTables();

  constructor(private readonly runner: JobRunner) {}

  /**
   * Upserts a batch. When PostgreSQL refuses a row's content, the batch is split and the halves retried (inside
   * savepoints, in the same transaction) down to single rows; those go to the quarantine and the rest applies, so
   * the table moves on (skip ahead) and nothing is lost (docs/architecture.md, "Jobs").
   */
  upload(job: UploadJob, meta: JobMeta): Promise<UploadResult> {
    const sent = job.rows.versions.length + (job.refused?.reasons.length ?? 0) + (job.deletes?.versions.length ?? 0);
    const record = {
      jobType: 'upload' as const,
      meta,
      rows: sent,
      bytes: job.bytes,
      applied: (r: UploadResult) => r.applied + r.deleted,
      quarantined: (r: UploadResult) => r.quarantined,
    };
    return this.runner.recorded(job, `upload of ${sent} rows to "${job.table}"`, record, async (c) => {
      // Rows the API already refused (a value of the wrong type, a NULL key) are quarantined with the others.
      const poison: PoisonRow[] = job.refused
        ? job.refused.reasons.map((reason, r) => poisonRow(job, sliceRows(job.refused!.rows, r, r + 1), reason))
        : [];
      const replaced = job.replace ? await replaceNewer(c, job, job.replace) : 0;
      const rows = newestPerKey(job.key, job.rows);
      const table = `${job.tenant.databaseId}.${job.table}`;
      const applied = await upsertIsolating(c, job, rows, poison, this.newRows.has(table));
      if (rows.versions.length > 0) this.newRows.learn(table, applied.inserted === rows.versions.length);
      await quarantineRows(c, job.tenant, job.table, poison);
      if (await hasQuarantine(c, job.tenant, job.table))
        await resolveQuarantine(c, job.tenant, job.table, appliedKeys(job, rows, poison));
      const deleted = job.deletes ? await deleteKeys(c, job, job.deletes) : 0;
      // A replaced or deleted row may have been the remote maximum: it is counted again rather than assumed.
      await recordUpload(c, job.tenant, job.table, {
        ...applied,
        deleted,
        maxVersion: replaced || deleted ? 'recompute' : applied.maxVersion,
        range: job.range,
        timeline: job.timeline,
      });
      return {
        applied: applied.applied,
        inserted: applied.inserted,
        skippedOlder: applied.skippedOlder,
        quarantined: poison.length,
        deleted,
      };
    });
  }
}

/**
 * The compare-and-set replace of rows newer remotely (a lost timeline's leftovers). A row whose content PostgreSQL
 * refuses is left to the upsert that follows, which isolates it into the quarantine.
 */
async function replaceNewer(c: PoolClient, job: UploadJob, replace: string[]): Promise<number> {
  await c.query('SAVEPOINT replace');
  try {
    const n = await replaceRows(c, job, replace);
    await c.query('RELEASE SAVEPOINT replace');
    return n;
  } catch (err) {
    await c.query('ROLLBACK TO SAVEPOINT replace');
    if (classifyPgError(err) !== 'row-data') throw err;
    return 0;
  }
}

/**
 * Deletes the batch's deleted keys where the remote row is older than the delete, and forgets their quarantine
 * entries (a quarantined row never shields its key). A key PostgreSQL cannot even compare (a value of the wrong type)
 * names no remote row: it is isolated like a poison row and only its quarantine entry goes.
 */
async function deleteKeys(c: PoolClient, job: UploadJob, deletes: DeletedKeys): Promise<number> {
  const remove = async (d: DeletedKeys): Promise<number> => {
    await c.query('SAVEPOINT deletes');
    try {
      const deleted = await deleteRows(c, job.tenant, job.table, job.key, { mode: 'keys', ...d });
      await c.query('RELEASE SAVEPOINT deletes');
      return deleted;
    } catch (err) {
      await c.query('ROLLBACK TO SAVEPOINT deletes');
      if (classifyPgError(err) !== 'row-data') throw err;
      if (d.versions.length === 1) return 0;
      const half = Math.ceil(d.versions.length / 2);
      return (await remove(sliceKeys(d, 0, half))) + (await remove(sliceKeys(d, half, d.versions.length)));
    }
  };
  const deleted = await remove(deletes);
  const keys = deletes.versions.map((_, r) =>
    rowKey(
      job.key,
      deletes.keys.map((k) => k[r]),
    ),
  );
  await forgetQuarantined(c, job.tenant, job.table, { mode: 'keys', ...deletes }, keys);
  return deleted;
}

/**
 * The tables (of a database) whose last batch here brought only new rows, as an initial load or an append-only table
 * does: their next batch is inserted without ON CONFLICT first (insertNewRows), and upserted only if a key exists.
 * Bounded: the oldest entry goes first.
 */
class NewRowTables {
  private readonly tables = new Set<string>();

  has(table: string): boolean {
    return this.tables.has(table);
  }

  learn(table: string, onlyNew: boolean): void {
    this.tables.delete(table);
    if (!onlyNew) return;
    this.tables.add(table);
    if (this.tables.size > NEW_ROW_TABLES) this.tables.delete(this.tables.values().next().value!);
  }
}

const NEW_ROW_TABLES = 10_000;

async function upsertIsolating(
  c: PoolClient,
  job: UploadJob,
  rows: ColumnarRows,
  poison: PoisonRow[],
  insertFirst: boolean,
): Promise<AppliedUpload> {
  await c.query('SAVEPOINT batch');
  try {
    const applied =
      (insertFirst ? await insertNewRows(c, { ...job, rows }) : undefined) ?? (await upsertRows(c, { ...job, rows }));
    await c.query('RELEASE SAVEPOINT batch');
    return applied;
  } catch (err) {
    await c.query('ROLLBACK TO SAVEPOINT batch');
    if (classifyPgError(err) !== 'row-data') throw err;
    const n = rows.versions.length;
    if (n === 1) {
      poison.push(poisonRow(job, rows, describePgError(err)));
      return { applied: 0, inserted: 0, skippedOlder: 0, maxVersion: undefined };
    }
    const half = Math.ceil(n / 2);
    const a = await upsertIsolating(c, job, sliceRows(rows, 0, half), poison, insertFirst);
    const b = await upsertIsolating(c, job, sliceRows(rows, half, n), poison, insertFirst);
    return {
      applied: a.applied + b.applied,
      inserted: a.inserted + b.inserted,
      skippedOlder: a.skippedOlder + b.skippedOlder,
      maxVersion:
        a.maxVersion === undefined
          ? b.maxVersion
          : b.maxVersion === undefined || a.maxVersion > b.maxVersion
            ? a.maxVersion
            : b.maxVersion,
    };
  }
}

function poisonRow(job: UploadJob, rows: ColumnarRows, error: string): PoisonRow {
  const row = Object.fromEntries(rows.columns.map((name, i) => [name, rows.values[i][0]]));
  return { key: rowKeys(job.key, rows)[0], version: rows.versions[0], row, error };
}

/** The (key, version) pairs of a batch that applied: every row but the quarantined ones. */
function appliedKeys(job: UploadJob, rows: ColumnarRows, poison: PoisonRow[]): { key: string; version: string }[] {
  const bad = new Set(poison.map((p) => `${p.key}@${p.version}`));
  return rowKeys(job.key, rows)
    .map((key, r) => ({ key, version: rows.versions[r] }))
    .filter((k) => !bad.has(`${k.key}@${k.version}`));
}
