import { formatFields } from './format-fields.js';
import { formatTable } from './format-table.js';

describe('formatTable', () => {
  it('aligns columns, numbers to the right, with no trailing blanks', () => {
    const lines = formatTable(
      [{ header: 'NAME' }, { header: 'SIZE', align: 'right' }, { header: 'PATH' }],
      [
        ['a', '1', '/a'],
        ['bbbbbb', '12345', '/b/long/path'],
      ],
    );
    expect(lines).toEqual(['NAME     SIZE  PATH', 'a           1  /a', 'bbbbbb  12345  /b/long/path']);
  });

  it('leaves out the header when asked (key/value blocks)', () => {
    expect(formatFields([['size', '12'], ['replication', '3']])).toEqual(['size         12', 'replication  3']);
  });
});
