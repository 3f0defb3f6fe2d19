/**
 * The validation library every schema in lib/ imports: zod 4's tree-shakable `zod/mini` (about 17 KB in a handler's
 * bundle, against about 90 KB for classic `zod`). Unlike classic zod, `zod/mini` loads no locale, so every issue
 * without a message of our own would read "Invalid input"; registering the English locale here (about 2 KB) keeps
 * the default messages our 400s and configuration errors have always carried ("Invalid input: expected string,
 * received number", "Too big: expected string to have <=35 characters", ...). Import zod from here, never directly.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
