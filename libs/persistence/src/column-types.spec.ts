import { COLUMN_TYPES, type ColumnDef } from '#contracts';
import { columnOfPgType, pgType } from './column-types.js';

describe('columnOfPgType', () => {
  it('reads back every column type as format_type() prints it', () => {
    const columns: ColumnDef[] = [
      ...COLUMN_TYPES.filter((t) => t !== 'native').map((type) => ({ name: 'c', type })),
      { name: 'c', type: 'text', length: 20 },
      { name: 'c', type: 'char', length: 3 },
      { name: 'c', type: 'native', native: 'interval' },
      { name: 'c', type: 'native', native: 'bit(5)' },
      { name: 'c', type: 'native', native: 'text[]' },
    ];
    for (const c of columns) expect(columnOfPgType('c', pgType(c))).toEqual(c);
  });

  it('knows no other type', () => {
    expect(columnOfPgType('c', 'integer')).toBeUndefined();
    expect(columnOfPgType('c', 'character varying')).toBeUndefined();
    expect(columnOfPgType('c', 'money')).toBeUndefined();
    expect(columnOfPgType('c', 'citext')).toBeUndefined();
  });
});
