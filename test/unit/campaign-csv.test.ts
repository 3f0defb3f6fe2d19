import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, csvLine, parseCsv } from '../../infra/campaign/csv';
import { readUsersCsv, UsersFileError } from '../../infra/campaign/rows';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe('campaign CSV parsing (RFC 4180 as spreadsheets write it)', () => {
  it('reads quoted fields, commas and doubled quotes inside quotes', () => {
    expect(fields('a,"b,c","say ""hi"""\n')).toEqual([['a', 'b,c', 'say "hi"']]);
  });

  it('takes CRLF and LF line ends, a BOM, a last line without a line end, and skips blank lines', () => {
    expect(fields('\ufeffx,y\r\n1,2\r\n\r\n3,4\n\n5,6')).toEqual([['x', 'y'], ['1', '2'], ['3', '4'], ['5', '6']]);
  });

  it('keeps line breaks inside quotes and numbers records by the line they start on', () => {
    const records = parseCsv('h\r\n"two\r\nlines",x\r\nnext,y\r\n');
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [1, ['h']],
      [2, ['two\r\nlines', 'x']],
      [4, ['next', 'y']],
    ]);
  });

  it('keeps empty fields, also a trailing one', () => {
    expect(fields('a,,\n,b\n')).toEqual([['a', '', ''], ['', 'b']]);
  });

  it('refuses a quote never closed and text after a closing quote, naming the line', () => {
    expect(() => parseCsv('a\nb,"open\n')).toThrow(new CsvSyntaxError(2, 'a quoted field is not closed'));
    expect(() => parseCsv('a\n"b"c,d\n')).toThrow(/line 2: text after a closing quote/);
  });

  it('writes what it reads back unchanged (quotes only where needed)', () => {
    const values = ['plain', 'a,b', 'say "hi"', 'two\nlines', '', '=1+1'];
    expect(csvLine(values)).toBe('plain,"a,b","say ""hi""","two\nlines",,=1+1\r\n');
    expect(parseCsv(csvLine(values))[0]!.fields).toEqual(values);
  });
});

describe('campaign users file: every row checked before anything is sent', () => {
  it('accepts user_id,email[,locale] in any column order and trims as the API does', () => {
    const { rows, invalid } = readUsersCsv('email,locale,user_id\r\nada@example.com,fr, auth0|1 \r\n"o\'brien@example.com",,"x,y"\r\n');
    expect(invalid).toEqual([]);
    expect(rows).toEqual([
      { line: 2, user_id: 'auth0|1', email: 'ada@example.com', locale: 'fr' },
      { line: 3, user_id: 'x,y', email: "o'brien@example.com" },
    ]);
  });

  it('reports bad rows with their line and the API’s codes, and keeps the good ones', () => {
    const text = [
      'user_id,email,locale',
      'u1,u1@example.com,', // 2 good
      'u2,not-an-email,', // 3
      ',u3@example.com,', // 4
      'u4,u4@example.com,EN', // 5
      'u5,u5@example.com,zz', // 6
      'u6,u6@example.com', // 7: a field short
      'u1,other@example.com,', // 8: twice
      '"u7,with comma",u7@example.com,pt-BR', // 9 good
    ].join('\n');
    const { rows, invalid } = readUsersCsv(text);
    expect(rows.map((r) => [r.line, r.user_id])).toEqual([
      [2, 'u1'],
      [9, 'u7,with comma'],
    ]);
    expect(invalid.map((r) => [r.line, r.error])).toEqual([
      [3, 'invalid_email'],
      [4, 'invalid_user_id'],
      [5, 'invalid_email_locale'],
      [6, 'unsupported_locale'],
      [7, 'wrong_field_count'],
      [8, 'duplicate_user_id'],
    ]);
  });

  it('refuses a file without the header or with a quote never closed: nothing is sent', () => {
    expect(() => readUsersCsv('')).toThrow(UsersFileError);
    expect(() => readUsersCsv('id,mail\n1,a@example.com\n')).toThrow(/header line must name user_id and email/);
    expect(() => readUsersCsv('user_id,email\n"u1,a@example.com\n')).toThrow(/line 2: a quoted field is not closed/);
  });
});
