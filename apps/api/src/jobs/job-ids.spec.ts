import { newBullJobId, parsePublicJobId, publicJobId } from './job-ids.js';

const DB = '0b6f3c1e-6a53-4b8e-9c1f-3f1e2d4c5b6a';
const UUID = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';

describe('public job ids', () => {
  it('round-trip queue, BullMQ id and owning database', () => {
    const bullId = newBullJobId(DB, UUID);
    expect(parsePublicJobId(publicJobId('manifest-check', bullId))).toEqual({
      queue: 'manifest-check',
      bullId,
      databaseId: DB,
    });
  });

  it.each([
    ['an unknown queue', `uploads.${DB}.${UUID}`],
    ['an inherited property as queue', `constructor.${DB}.${UUID}`],
    ['an upper-case uuid', `upload.${DB.toUpperCase()}.${UUID}`],
    ['a missing part', `upload.${DB}`],
    ['trailing text', `upload.${DB}.${UUID}x`],
    ['an empty string', ''],
  ])('are refused for %s', (_, id) => {
    expect(parsePublicJobId(id)).toBeUndefined();
  });
});
