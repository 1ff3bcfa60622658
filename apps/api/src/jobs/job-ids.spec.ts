import { newBullJobId, parsePublicJobId, publicJobId } from './job-ids.js';

const DB = '0b6f3c1e-6a53-4b8e-9c1f-3f1e2d4c5b6a';
const UUID = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';

describe('public job ids', () => {
  it.each(['orders', 'Order_Lines2', '_t', 'x'.repeat(63)])(
    'round-trip queue, BullMQ id, owning database and table (%s)',
    (table) => {
      const bullId = newBullJobId(DB, table, UUID);
      expect(parsePublicJobId(publicJobId('manifest-check', bullId))).toEqual({
        queue: 'manifest-check',
        bullId,
        databaseId: DB,
        table,
      });
    },
  );

  it('still read ids made before they named their table', () => {
    expect(parsePublicJobId(`upload.${DB}.${UUID}`)).toEqual({
      queue: 'upload',
      bullId: `${DB}.${UUID}`,
      databaseId: DB,
    });
  });

  it.each([
    ['an unknown queue', `uploads.${DB}.t.${UUID}`],
    ['an inherited property as queue', `constructor.${DB}.t.${UUID}`],
    ['an upper-case uuid', `upload.${DB.toUpperCase()}.t.${UUID}`],
    ['a missing part', `upload.${DB}`],
    ['trailing text', `upload.${DB}.t.${UUID}x`],
    ['a table that is no identifier', `upload.${DB}.a-b.${UUID}`],
    ['a table with a dot', `upload.${DB}.a.b.${UUID}`],
    ['a table too long', `upload.${DB}.${'x'.repeat(64)}.${UUID}`],
    ['an empty string', ''],
  ])('are refused for %s', (_, id) => {
    expect(parsePublicJobId(id)).toBeUndefined();
  });
});
