import * as v from 'valibot';
import { emailLocaleSchema } from '../../lib/email/locales';
import { emailSchema, userIdSchema } from '../../lib/tickets/create-ticket';
import { issueCode } from '../../lib/validation';
import { CsvSyntaxError, parseCsv } from './csv';

/** A user to send a ticket to: the API's own rules (lib/tickets) have accepted every field. */
export interface CampaignRow {
  line: number;
  user_id: string;
  email: string;
  locale?: string;
}

/** A row that will not be sent, with the line it is on and a stable code (the API's own where it has one). */
export interface InvalidRow {
  line: number;
  user_id: string;
  email: string;
  error: string;
  message: string;
}

export interface UsersFile {
  rows: CampaignRow[];
  invalid: InvalidRow[];
}

/** The file itself cannot be read as a users file (no header, a quote never closed): nothing is sent. */
export class UsersFileError extends Error {}

const COLUMNS = ['user_id', 'email', 'locale'] as const;
const REQUIRED = ['user_id', 'email'];

// The create-ticket request's own schemas, so a row passes here exactly when the API would take it.
const rowSchema = v.object({
  user_id: userIdSchema,
  email: emailSchema,
  locale: v.optional(emailLocaleSchema),
});

/**
 * Reads `user_id,email[,locale]` with a header line (columns in any order; others ignored), checking every row before
 * anything is sent. A user listed twice is sent once: the later lines are invalid (`duplicate_user_id`).
 */
export function readUsersCsv(text: string): UsersFile {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new UsersFileError(`users file: ${err.message}`);
    throw err;
  }
  const [header, ...body] = records;
  if (!header) throw new UsersFileError('users file: empty (expected a header line "user_id,email[,locale]")');
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const missing = REQUIRED.filter((name) => !names.includes(name));
  if (missing.length > 0) {
    throw new UsersFileError(`users file: the header line must name ${missing.join(' and ')} (expected "user_id,email[,locale]", got "${header.fields.join(',')}")`);
  }
  const index = Object.fromEntries(COLUMNS.map((name) => [name, names.indexOf(name)]));

  const rows: CampaignRow[] = [];
  const invalid: InvalidRow[] = [];
  const seen = new Set<string>();
  for (const { line, fields } of body) {
    const field = (name: (typeof COLUMNS)[number]) => (index[name]! >= 0 ? fields[index[name]!] : undefined);
    const raw = { user_id: field('user_id') ?? '', email: (field('email') ?? '').trim(), locale: field('locale')?.trim() || undefined };
    const reject = (error: string, message: string) => invalid.push({ line, user_id: raw.user_id, email: raw.email, error, message });
    if (fields.length !== header.fields.length) {
      reject('wrong_field_count', `${fields.length} fields where the header has ${header.fields.length}`);
      continue;
    }
    const parsed = v.safeParse(rowSchema, raw);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const key = String(issue.path?.[0]?.key ?? 'row');
      const column = key === 'locale' ? 'email_locale' : key;
      reject(issueCode(issue) ?? `invalid_${column}`, `${key}: ${issue.message}`);
      continue;
    }
    if (seen.has(parsed.output.user_id)) {
      reject('duplicate_user_id', `user_id: listed on an earlier line`);
      continue;
    }
    seen.add(parsed.output.user_id);
    rows.push({ line, ...parsed.output });
  }
  return { rows, invalid };
}
