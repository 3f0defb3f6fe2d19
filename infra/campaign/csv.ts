/**
 * RFC 4180 CSV, as spreadsheets write it: quoted fields (commas, quotes doubled as `""`, line breaks inside quotes),
 * CRLF or LF line ends, a UTF-8 byte-order mark. Small enough to read in one sitting, so no dependency.
 */

export interface CsvRecord {
  /** The line the record starts on (1-based, the header is line 1), for messages that point at the file. */
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Every record of `text`, blank lines skipped. Throws CsvSyntaxError on an unterminated quote or text after one. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (src[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= src.length) throw new CsvSyntaxError(quoteLine, 'a quoted field is not closed');
          const c = src[i]!;
          if (c === '"') {
            if (src[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        const next = src[i];
        if (next !== undefined && next !== ',' && next !== '\n' && !(next === '\r' && src[i + 1] === '\n')) {
          throw new CsvSyntaxError(line, 'text after a closing quote (write a quote inside quotes as "")');
        }
      } else {
        while (i < src.length && src[i] !== ',' && src[i] !== '\n' && !(src[i] === '\r' && src[i + 1] === '\n')) field += src[i++];
      }
      fields.push(field);
      if (src[i] === ',') {
        i++;
        continue;
      }
      // End of the record: CRLF, LF or the end of the text.
      if (src[i] === '\r') i++;
      if (src[i] === '\n') i++;
      line++;
      break;
    }
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
  }
  return records;
}

/** One CSV field, quoted when it must be (a comma, a quote, a line break); written as read, so the journal reads back exactly. */
export const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export const csvLine = (values: readonly string[]): string => `${values.map(csvField).join(',')}\r\n`;
