import { ago, groupDigits } from '#observability';
import type { QueueName } from '#contracts';
import type { FleetTable } from '#persistence';

/** Where Bull Board is served, and the queue that holds each table's newest failed job (when it is still kept). */
export interface BoardLinks {
  route: string;
  failedIn: ReadonlyMap<FleetTable, QueueName>;
}

/**
 * The ops status page: every tenant's tables with how far they lag, when their agent last started a pass and the
 * table last changed, failed batches and quarantined rows, and the batch-size trend as a small chart; links into
 * Bull Board. Plain HTML, no script: names come from tenants, so every one of them is escaped.
 */
export function renderStatusPage(
  tables: FleetTable[],
  agentSeen: ReadonlyMap<string, Date>,
  now: Date,
  board: BoardLinks | undefined,
): string {
  const rows = tables.map((t) => {
    const behind = BigInt(t.maxVersion) - BigInt(t.appliedThrough);
    const problem = t.schemaError ? ` class="problem" title="${esc(t.schemaError)}"` : '';
    const failedQueue = board?.failedIn.get(t);
    const failed =
      board && failedQueue
        ? `<a href="${board.route}/queue/${failedQueue}?status=failed">${t.failedRecently}</a>`
        : String(t.failedRecently);
    return `<tr data-database="${esc(t.databaseId)}" data-table="${esc(t.table)}"${problem}>
<td>${esc(t.customer)}</td><td>${esc(t.database)}</td><td>${esc(t.table)}${t.schemaError ? ' (definition refused)' : ''}</td>
<td class="n">${groupDigits(t.rowCount)}</td><td class="n">${behind > 0n ? groupDigits(behind.toString()) : '-'}</td>
<td class="n agent-seen">${seenAgo(now, agentSeen.get(t.databaseId))}</td>
<td class="n">${seenAgo(now, t.lastModifiedAt ?? undefined)}</td>
<td class="n failed">${failed}</td><td class="n quarantined">${t.quarantined}</td>
<td>${sparkline(t.recentBatchRows)}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rowferry status</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; } th, td { padding: .3rem .6rem; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } tr.problem td { background: #fde8e8; }
svg polyline { fill: none; stroke: #3366cc; stroke-width: 1.5; }
</style></head>
<body><h1>rowferry status</h1>
<p>${tables.length} table(s), newest change first, as of ${now.toISOString()}.${board ? ` Jobs: <a href="${board.route}">Bull Board</a>.` : ''}</p>
<table><thead><tr><th>customer</th><th>database</th><th>table</th><th>rows</th><th title="versions received but not yet applied in order">behind</th>
<th title="when its agent last started a pass">agent seen</th><th>last change</th><th title="failed attempts among the last 100 batches">failed</th><th>quarantined</th><th title="rows of the last 30 upload batches">batch size</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></body></html>
`;
}

function seenAgo(now: Date, at: Date | undefined): string {
  return at ? `${ago(now, at)} ago` : 'never';
}

/** The last batches' sizes as a 120×24 line, the latest size beside it. */
function sparkline(values: number[]): string {
  if (values.length === 0) return '';
  const max = Math.max(...values, 1);
  const step = values.length > 1 ? 120 / (values.length - 1) : 0;
  const points = values.map((v, i) => `${Math.round(i * step)},${Math.round(23 - (v / max) * 22)}`).join(' ');
  return `<svg width="120" height="24" role="img" aria-label="batch sizes"><polyline points="${points}"/></svg> ${groupDigits(String(values.at(-1)))}`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
