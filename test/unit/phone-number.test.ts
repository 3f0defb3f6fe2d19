import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Key, KeyRing } from '../../lib/config';
import { AppError } from '../../lib/errors';
import { addressKey } from '../../lib/factors/email/address';
import { allowedCountriesSetting, COVERED_COUNTRIES, maskPhone, numberKey, parsePhoneNumber, type PhoneChannel } from '../../lib/factors/phone/number';
import { METADATA_FILE, phoneMetadata } from '../../infra/phone-metadata';

const key = (id: string, fill: string): Key => ({ id, secret: Buffer.alloc(32, fill) });
const ring = (...keys: Key[]): KeyRing => ({ current: keys[0]!, byId: new Map(keys.map((k) => [k.id, k])) });
const LOCAL = new Set(['US', 'CA', 'GB', 'FR', 'DE', 'ES', 'BR']);

const parse = (input: unknown, channel: PhoneChannel = 'sms', allowedCountries: ReadonlySet<string> = LOCAL) =>
  parsePhoneNumber(input, { field: 'phone_number', channel, allowedCountries });

function refusal(fn: () => unknown): { status: number; code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('not refused');
}

describe('phone number: parsing', () => {
  it.each([
    ['+33 6 12 34 56 78', '+33612345678', 'FR', 'MOBILE'],
    ['+33612345678', '+33612345678', 'FR', 'MOBILE'],
    ['  +1 (201) 555-0123 ', '+12015550123', 'US', 'FIXED_LINE_OR_MOBILE'],
    ['+1.201.555.0123', '+12015550123', 'US', 'FIXED_LINE_OR_MOBILE'],
    ['+1 604 555 5555', '+16045555555', 'CA', 'FIXED_LINE_OR_MOBILE'],
    ['+49 151 12345678', '+4915112345678', 'DE', 'MOBILE'],
    ['+44 7400 123456', '+447400123456', 'GB', 'MOBILE'],
    ['+34 612 34 56 78', '+34612345678', 'ES', 'MOBILE'],
    ['+55 11 91234-5678', '+5511912345678', 'BR', 'MOBILE'],
    // A national trunk 0 written after the country code is dropped, as people write it in the UK and France.
    ['+44 (0)7400 123456', '+447400123456', 'GB', 'MOBILE'],
  ])('%s → %s', (input, e164, country, type) => {
    expect(parse(input)).toEqual({ e164, country, type });
  });

  it.each([
    [42],
    [undefined],
    [null],
    [''],
    ['06 12 34 56 78'], // national form: which country?
    ['0033612345678'],
    ['+'],
    ['+33'],
    ['+336'],
    ['+33 6 12 34 56 78 90 12'],
    ['+447700900123'], // the UK's drama range: not a real number
    ['+1 22000'], // a short code
    ['+1 201 555 0123 ext. 7'],
    ['+33 6 12 34 56 78;ext=1'],
    ['+33 6 12 34 56 78\u0000'],
    ['+abc'],
    ['+' + '1'.repeat(60)],
  ])('%j → 400 invalid_phone_number', (input) => {
    const r = refusal(() => parse(input));
    expect(r).toMatchObject({ status: 400, code: 'invalid_phone_number' });
    expect(r.message).toMatch(/^phone_number: /);
  });

  it('refuses countries not allowed, and calling codes the metadata does not cover, as phone_country_not_allowed', () => {
    for (const input of ['+39 312 345 6789', '+61 412 345 678', '+1 876 210 1234', '+7 912 345 67 89', '+86 139 1234 5678', '+882 1234 5678']) {
      expect(refusal(() => parse(input))).toMatchObject({ status: 400, code: 'phone_country_not_allowed' });
    }
    // Nothing is allowed until the deployer names countries.
    expect(refusal(() => parse('+33 6 12 34 56 78', 'sms', new Set()))).toMatchObject({ code: 'phone_country_not_allowed' });
    expect(parse('+39 312 345 6789', 'sms', new Set(['IT'])).country).toBe('IT');
  });

  it('texts go to mobiles only (FIXED_LINE_OR_MOBILE passes); calls also to fixed lines; premium rate and the like to neither', () => {
    for (const fixed of ['+33 1 42 68 53 00', '+49 30 12345678', '+44 20 7946 0000']) {
      const r = refusal(() => parse(fixed, 'sms'));
      expect(r).toMatchObject({ status: 400, code: 'phone_number_not_reachable' });
      expect(r.message).toMatch(/^phone_number: .*mobile/);
      expect(parse(fixed, 'voice').type).toBe('FIXED_LINE');
    }
    for (const costly of ['+1 900 555 0123', '+33 8 99 12 34 56', '+1 800 555 0123', '+44 871 234 5678']) {
      for (const channel of ['sms', 'voice'] as const) {
        expect(refusal(() => parse(costly, channel))).toMatchObject({ status: 400, code: 'phone_number_not_reachable' });
      }
    }
  });
});

describe('phone number: PHONE_ALLOWED_COUNTRIES', () => {
  it('allows nothing when unset or empty; takes a comma-separated list of covered countries', () => {
    expect(allowedCountriesSetting({}).size).toBe(0);
    expect(allowedCountriesSetting({ PHONE_ALLOWED_COUNTRIES: ' ' }).size).toBe(0);
    expect([...allowedCountriesSetting({ PHONE_ALLOWED_COUNTRIES: 'US, CA,GB,FR,DE,ES,BR' })]).toEqual([...LOCAL]);
  });
  it('fails loudly on a malformed code or a country the metadata does not cover', () => {
    expect(() => allowedCountriesSetting({ PHONE_ALLOWED_COUNTRIES: 'us' })).toThrow(/PHONE_ALLOWED_COUNTRIES: "us" is not a two-letter/);
    expect(() => allowedCountriesSetting({ PHONE_ALLOWED_COUNTRIES: 'US,,FR' })).toThrow(/PHONE_ALLOWED_COUNTRIES/);
    expect(() => allowedCountriesSetting({ PHONE_ALLOWED_COUNTRIES: 'US,IN' })).toThrow(/IN is not among the countries the phone metadata covers/);
  });
  it('the local stack countries are covered', () => {
    for (const country of LOCAL) expect(COVERED_COUNTRIES.has(country)).toBe(true);
  });
});

describe('phone number: masking and the rate key', () => {
  it.each([
    ['+12015550134', '+1 ••• ••• ••34'],
    ['+33612345678', '+33 ••• ••• ••78'],
    ['+5511912345678', '+55 ••• ••• ••78'],
    ['+8612345678901', '+••• ••• ••01'], // a calling code the metadata does not cover
    ['not a number', '+••• ••• ••'],
    ['', '+••• ••• ••'],
  ])('%s → %s', (e164, masked) => {
    expect(maskPhone(e164)).toBe(masked);
  });

  it('numberKey is keyed, stable, per number, and unlike the address key of the same text', () => {
    const keys = ring(key('e1', 'a'));
    const k = numberKey('+33612345678', keys);
    expect(k).toMatch(/^e1\.[\w-]{43}$/);
    expect(k).not.toContain('33612345678');
    expect(numberKey('+33612345678', keys)).toBe(k);
    expect(numberKey('+33612345679', keys)).not.toBe(k);
    expect(numberKey('+33612345678', ring(key('e2', 'b')))).not.toBe(k);
    expect(k.split('.')[1]).not.toBe(addressKey('+33612345678', keys).split('.')[1]);
  });
});

describe('phone number: bundled metadata', () => {
  it('is what infra/phone-metadata.ts makes from the installed libphonenumber-js for the countries it holds', () => {
    const committed = JSON.parse(readFileSync(METADATA_FILE, 'utf8')) as { countries: Record<string, unknown> };
    expect(committed).toEqual(phoneMetadata(Object.keys(committed.countries)));
  });
});
