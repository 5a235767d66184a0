import { renderFields, renderTable, type Column } from './table';

interface Row {
  name: string;
  size: string;
  owner: string | null;
}

const columns: Column<Row>[] = [
  { header: 'NAME', value: (r) => r.name },
  { header: 'SIZE', value: (r) => r.size, align: 'right' },
  { header: 'OWNER', value: (r) => r.owner },
];

describe('renderTable', () => {
  it('lines columns up under their headers, right-aligned where asked, without colours or trailing spaces', () => {
    const text = renderTable(columns, [
      { name: 'data-01', size: '10 GiB', owner: 'acme' },
      { name: 'x', size: '512 MiB', owner: null },
    ]);
    expect(text.split('\n')).toEqual([
      'NAME        SIZE  OWNER',
      'data-01   10 GiB  acme',
      'x        512 MiB  -',
    ]);
    expect(text).not.toMatch(/\u001b\[/);
  });

  it('prints the headers alone for no rows', () => {
    expect(renderTable(columns, [])).toBe('NAME  SIZE  OWNER');
  });
});

describe('renderFields', () => {
  it('pads names to one width and shows a missing value as -', () => {
    expect(renderFields([['id', 'v-1'], ['last error', null], ['size', 42]])).toBe('id          v-1\nlast error  -\nsize        42');
  });
});
