import { BatchRecord } from './batch-record.entity.js';
import { Customer } from './customer.entity.js';
import { QuarantinedRow } from './quarantined-row.entity.js';
import { RegisteredDatabase } from './registered-database.entity.js';
import { RegisteredTable } from './registered-table.entity.js';
import { TableStats } from './table-stats.entity.js';

export { BatchRecord, Customer, QuarantinedRow, RegisteredDatabase, RegisteredTable, TableStats };
export const CONTROL_ENTITIES = [
  Customer,
  RegisteredDatabase,
  RegisteredTable,
  TableStats,
  BatchRecord,
  QuarantinedRow,
];
