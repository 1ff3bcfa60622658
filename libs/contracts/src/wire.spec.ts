import { compareVersions, maxVersionOf } from './wire.js';

describe('versions compared as text', () => {
  it.each([
    ['none', [], undefined],
    ['one', ['7'], 7n],
    ['zero', ['0', '0'], 0n],
    ['longer is higher', ['9', '10', '8'], 10n],
    ['same length, compared digit by digit', ['123', '321', '213'], 321n],
    ['leading zeros do not make a version longer', ['0009', '10', '007'], 10n],
    ['a zero-padded highest', ['5', '00012'], 12n],
    ['the signed 64-bit maximum', ['9223372036854775806', '9223372036854775807', '1'], 9223372036854775807n],
    ['equal versions', ['42', '042', '42'], 42n],
  ])('%s', (_name, versions, expected) => {
    expect(maxVersionOf(versions)).toBe(expected);
  });

  it.each([
    ['1', '2', -1],
    ['10', '9', 1],
    ['007', '7', 0],
    ['0', '000', 0],
    ['9223372036854775807', '9223372036854775806', 1],
    ['00100', '99', 1],
  ])('compares %s with %s: %i', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
    expect(Math.sign(compareVersions(b, a))).toBe(-sign || 0);
  });

  it('agrees with BigInt comparison on random batches, zero-padded or not', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let batch = 0; batch < 500; batch++) {
      const versions = Array.from({ length: 1 + Math.floor(random() * 20) }, () => {
        const digits = String(BigInt(Math.floor(random() * 2 ** 53)) >> BigInt(Math.floor(random() * 53)));
        return random() < 0.2 ? `00${digits}` : digits;
      });
      const expected = versions.reduce((m, v) => (BigInt(v) > m ? BigInt(v) : m), 0n);
      expect(maxVersionOf(versions)).toBe(expected);
    }
  });
});
