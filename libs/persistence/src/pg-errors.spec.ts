import { classifyPgError, describePgError } from './pg-errors.js';

describe('classifyPgError', () => {
  it.each([
    // No SQLSTATE: node's socket errors, a pool that gave up; the server never answered.
    [{ code: 'ECONNRESET' }, 'transient'],
    [{ code: 'ECONNREFUSED' }, 'transient'],
    [new Error('Connection terminated unexpectedly'), 'transient'],
    [undefined, 'transient'],
    ['57P01', 'transient'], // admin shutdown
    ['57P02', 'transient'], // crash shutdown
    ['57P03', 'transient'], // cannot connect now (starting)
    ['08006', 'transient'], // connection failure (Citus: a worker node unreachable)
    ['08001', 'transient'],
    ['40001', 'transient'], // serialization failure
    ['40P01', 'transient'], // deadlock (Citus: a distributed deadlock too)
    ['53300', 'transient'], // too many connections
    ['53100', 'transient'], // disk full
    ['55P03', 'transient'], // lock not available
    ['58030', 'transient'], // I/O error
    ['22P02', 'row-data'], // invalid text representation
    ['22003', 'row-data'], // numeric value out of range
    ['23505', 'row-data'], // unique violation
    ['23502', 'row-data'], // not null violation
    ['21000', 'row-data'], // cardinality (a key twice in one upsert)
    ['54000', 'row-data'], // index row too large
    ['54001', 'row-data'], // JSON nested too deep
    ['57014', 'over-budget'], // statement timeout
    ['42703', 'refused'], // undefined column
    ['42P01', 'refused'], // undefined table
    ['42501', 'refused'], // no privilege, or a row-level security refusal
    ['0A000', 'refused'], // feature not supported (Citus: a non-IMMUTABLE function in DO UPDATE SET)
    ['XX000', 'refused'], // internal error: it would happen again
    ['25P02', 'refused'], // in a failed transaction
    ['57P04', 'refused'], // database dropped
  ])('%j → %s', (error, expected) => {
    const err = typeof error === 'string' ? Object.assign(new Error('x'), { code: error }) : error;
    expect(classifyPgError(err)).toBe(expected);
  });
});

describe('describePgError', () => {
  it('says what PostgreSQL refused, with its SQLSTATE, column and detail', () => {
    const err = Object.assign(new Error('null value in column "name" violates not-null constraint'), {
      code: '23502',
      column: 'name',
      detail: 'Failing row contains (1, null).',
    });
    expect(describePgError(err)).toBe(
      'null value in column "name" violates not-null constraint; SQLSTATE 23502; column name; Failing row contains (1, null).',
    );
  });
});
