import { parsePhoneNumberWithError, ParseError, type MetadataJson, type NumberType } from 'libphonenumber-js/core';
import type { KeyRing } from '../../config';
import { keyedDigest } from '../../crypto/keyed-hash';
import { badRequest } from '../../errors';
import bundledMetadata from './metadata.json';

/**
 * The number the phone factor texts or calls: how it is checked, written, shown and counted.
 *
 * Parsed with libphonenumber-js's `/core` build and metadata of a fixed set of countries (./metadata.json, made by
 * infra/phone-metadata.ts; docs/PHONE.md "Which countries" has the sizes): the full metadata sets would put a function
 * that parses and sends near the 400 KB bundle budget on their own.
 */
const METADATA = bundledMetadata as unknown as MetadataJson;

/** The countries the bundled metadata can validate, so the only ones PHONE_ALLOWED_COUNTRIES may name. */
export const COVERED_COUNTRIES: ReadonlySet<string> = new Set(Object.keys((METADATA as unknown as { countries: object }).countries));

export type PhoneChannel = 'sms' | 'voice';

/**
 * PHONE_ALLOWED_COUNTRIES: ISO 3166 alpha-2 codes, comma-separated (`US,CA,FR`). Unset or empty allows no country:
 * every number is refused until the deployer names where texts and calls may go (each country has its own price,
 * registration rules and fraud exposure). A code that is malformed or outside the bundled metadata fails loudly at
 * cold start, naming it.
 */
export function allowedCountriesSetting(env: NodeJS.ProcessEnv, name = 'PHONE_ALLOWED_COUNTRIES'): ReadonlySet<string> {
  const raw = (env[name] ?? '').trim();
  if (!raw) return new Set();
  const countries = raw.split(',').map((part) => part.trim());
  for (const country of countries) {
    if (!/^[A-Z]{2}$/.test(country)) throw new Error(`Invalid configuration: ${name}: "${country}" is not a two-letter country code such as US`);
    if (!COVERED_COUNTRIES.has(country)) {
      throw new Error(
        `Invalid configuration: ${name}: ${country} is not among the countries the phone metadata covers (${[...COVERED_COUNTRIES].sort().join(', ')}); see docs/PHONE.md "Which countries"`,
      );
    }
  }
  return new Set(countries);
}

/**
 * What each channel may reach. A text needs a mobile: `FIXED_LINE_OR_MOBILE` passes since some numbering plans (the
 * United States, Canada) do not tell them apart. A call may also ring a fixed line. Premium-rate, shared-cost,
 * toll-free, personal, pager, UAN and voicemail numbers are refused on both: they are where toll fraud sends the
 * traffic it pays for, and no one's own phone.
 */
const REACHABLE: Record<PhoneChannel, ReadonlySet<NumberType>> = {
  sms: new Set<NumberType>(['MOBILE', 'FIXED_LINE_OR_MOBILE']),
  voice: new Set<NumberType>(['MOBILE', 'FIXED_LINE_OR_MOBILE', 'FIXED_LINE']),
};

export interface PhoneNumber {
  /** E.164: `+` and up to 15 digits, no spaces (what is stored, sent to and counted). */
  e164: string;
  /** ISO 3166 alpha-2 country of the number. */
  country: string;
  type: NumberType;
}

/** Longer than any number written with spaces and punctuation; a longer input is refused before parsing. */
const MAX_INPUT = 40;

/**
 * A number as a user types it, in international form (`+33 6 12 34 56 78`, `+1 (201) 555-0123`): checked and
 * written in E.164. Refusals, 400 with the field named:
 * - `invalid_<field>`: not a string, no leading `+`, too short or long, an extension, not a valid number of its
 *   country (the UK's drama range, a short code);
 * - `phone_country_not_allowed`: a country outside `allowed` (or a calling code the metadata does not cover, which
 *   cannot be in `allowed`);
 * - `phone_number_not_reachable`: a number type `channel` cannot use (a fixed line for a text, a premium-rate number).
 */
export function parsePhoneNumber(
  input: unknown,
  options: { field: string; channel: PhoneChannel; allowedCountries: ReadonlySet<string> },
): PhoneNumber {
  const { field, channel, allowedCountries } = options;
  const invalid = (why: string) => badRequest(`invalid_${field}`, `${field}: ${why}`);
  if (typeof input !== 'string') throw invalid('must be a string such as "+33 6 12 34 56 78"');
  const text = input.trim();
  if (text.length > MAX_INPUT) throw invalid(`must be at most ${MAX_INPUT} characters`);
  if (!text.startsWith('+')) throw invalid('must be in international form, starting with + and the country code, such as "+33 6 12 34 56 78"');
  // The library skips what follows a number (`;ext=`, control characters, words): refuse it rather than send to a
  // number the user did not quite write.
  if (!/^\+[0-9 \u00a0().\-/\p{Pd}]+$/u.test(text)) throw invalid('may hold only digits, spaces and ( ) - . / after the +');
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(text, METADATA);
  } catch (err) {
    if (err instanceof ParseError && err.message === 'INVALID_COUNTRY') throw countryNotAllowed(field);
    throw invalid('is not a phone number');
  }
  if (parsed.ext) throw invalid('must not have an extension');
  if (!parsed.isValid()) throw invalid('is not a valid phone number');
  const country = parsed.country;
  if (!country || !allowedCountries.has(country)) throw countryNotAllowed(field);
  const type = parsed.getType();
  if (!type || !REACHABLE[channel].has(type)) {
    throw badRequest(
      'phone_number_not_reachable',
      channel === 'sms'
        ? `${field}: texts can only go to a mobile number; use a mobile number, or choose a call`
        : `${field}: calls can only go to a mobile or a fixed line; use another number`,
    );
  }
  return { e164: parsed.number, country, type };
}

const countryNotAllowed = (field: string) =>
  badRequest('phone_country_not_allowed', `${field}: codes cannot be sent to numbers of this country; use a number of another country, or another way to verify`);

export { maskPhone } from './mask';

/** HKDF `info` of the number key: distinct from the code hash's and the address key's. */
const NUMBER_KEY_INFO = 'mfa-tickets phone-number rate-key hmac-sha256 v1';

/**
 * The partition the per-number send caps count under: `<key id>.<base64url HMAC>` of the E.164 number under a subkey
 * of the current ENCRYPTION_KEYS key (as the email factor's `addressKey`): the table holds no number in a key, and a
 * reader of the table cannot test a guessed number (there are few enough numbers to try them all) without the key.
 */
export function numberKey(e164: string, keys: KeyRing): string {
  const key = keys.current;
  return `${key.id}.${keyedDigest(NUMBER_KEY_INFO, key, [e164]).toString('base64url')}`;
}
