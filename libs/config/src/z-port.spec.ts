import { zPort } from './index.js';

describe('zPort', () => {
  it('accepts 0 (ephemeral) to 65535, numbers or numeric strings', () => {
    expect(zPort.parse(0)).toBe(0);
    expect(zPort.parse(65535)).toBe(65535);
    expect(zPort.parse('8080')).toBe(8080);
    expect(zPort.parse(' 7001 ')).toBe(7001);
  });

  it.each([[-1], [65536], [80.5], ['abc'], ['80x'], [''], [null], [true]])('rejects %p with the expected range', (input) => {
    const result = zPort.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe('expected an integer from 0 to 65535');
  });
});
