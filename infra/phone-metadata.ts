import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetadataJson } from 'libphonenumber-js/core';
import max from 'libphonenumber-js/metadata.max.json';

/**
 * The phone number metadata the phone factor bundles (lib/factors/phone/metadata.json): libphonenumber-js's "max"
 * metadata (number types, so a fixed line or a premium-rate number can be told from a mobile one) cut down to a fixed
 * set of countries, about a third of its size. docs/PHONE.md "Which countries" says why and what it costs.
 *
 * Every country of a covered calling code is kept (+1 brings the whole North American Numbering Plan, +44 Guernsey,
 * Jersey and the Isle of Man): a Jamaican number is then known as Jamaican and refused as a country not allowed,
 * rather than taken for an invalid US number.
 *
 * Regenerate after upgrading libphonenumber-js, or to cover more countries (PHONE_ALLOWED_COUNTRIES may name only
 * covered ones): `npx tsx infra/phone-metadata.ts [CC,CC,...]`. test/unit/phone-number.test.ts checks that the committed
 * file is what this script makes from the installed package for the countries it holds.
 */
export const COVERED_COUNTRIES = [
  // The European Economic Area, Switzerland and the United Kingdom.
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT',
  'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'NO', 'IS', 'LI', 'CH', 'GB',
  // The Americas and Oceania most deployments start with.
  'US', 'CA', 'MX', 'BR', 'AU', 'NZ',
];

const source = max as unknown as MetadataJson & { countries: Record<string, unknown> };

export function phoneMetadata(countries: readonly string[]): MetadataJson {
  const callingCodeOf = new Map<string, string>();
  for (const [code, members] of Object.entries(source.country_calling_codes)) for (const country of members) callingCodeOf.set(country, code);
  const codes = new Set<string>();
  for (const country of countries) {
    const code = callingCodeOf.get(country);
    if (!code) throw new Error(`${country}: not a country libphonenumber-js knows`);
    codes.add(code);
  }
  const callingCodes: Record<string, string[]> = {};
  const kept: Record<string, unknown> = {};
  for (const code of [...codes].sort((a, b) => Number(a) - Number(b))) {
    callingCodes[code] = source.country_calling_codes[code]!;
    for (const country of callingCodes[code]!) kept[country] = source.countries[country];
  }
  return { version: source.version, country_calling_codes: callingCodes, countries: kept } as unknown as MetadataJson;
}

export const METADATA_FILE = join(__dirname, '..', 'lib', 'factors', 'phone', 'metadata.json');

if (require.main === module) {
  const countries = process.argv[2] ? process.argv[2].split(',').map((c) => c.trim().toUpperCase()) : COVERED_COUNTRIES;
  const metadata = phoneMetadata(countries);
  writeFileSync(METADATA_FILE, `${JSON.stringify(metadata)}\n`);
  process.stdout.write(`${METADATA_FILE}: ${Object.keys(metadata.countries).length} countries, ${JSON.stringify(metadata).length} bytes\n`);
}
