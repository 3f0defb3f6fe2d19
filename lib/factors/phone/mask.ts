// Only this property of the metadata: esbuild bundles a JSON file's named imports alone, so masking stays light.
import { country_calling_codes as CALLING_CODES } from './metadata.json';

const MASK = '••• ••• ••';

/**
 * The number as the page and the admin list show it: the country code and the last two digits (`+12015550134` →
 * `+1 ••• ••• ••34`). Its owner recognizes it; someone holding only the link learns little. One mask width for every
 * country, so it does not give away the number's length. Anything not in E.164 is all mask.
 *
 * Its own module, without the parser: every function that sends to or shows a stored number masks it, and only the
 * one that takes a new number needs libphonenumber-js (docs/PHONE.md "Bundle"). Calling codes are prefix-free, so the
 * one of 1 to 3 digits the bundled metadata knows is the number's.
 */
export function maskPhone(e164: string): string {
  if (!/^\+[1-9][0-9]{6,14}$/.test(e164)) return `+${MASK}`;
  // A calling code the metadata does not know (a number stored before a metadata change): show no country.
  const callingCode = [1, 2, 3].map((n) => e164.slice(1, 1 + n)).find((code) => Object.hasOwn(CALLING_CODES, code)) ?? '';
  return `+${callingCode}${callingCode ? ' ' : ''}${MASK}${e164.slice(-2)}`;
}
