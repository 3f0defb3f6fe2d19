import { emailUI } from '../factors/email/widget';
import { phoneUI } from '../factors/phone/widget';
import { recoveryCodeUI } from '../factors/recovery-code/widget';
import { totpUI } from '../factors/totp/widget';
import { webauthnUI } from '../factors/webauthn/widget';
import type { FactorUI } from './factor';

/** Every factor's part of the page, in the order the sign-in view shows them. A new factor: its module, one line here. */
export const FACTOR_UIS: readonly FactorUI[] = [totpUI, recoveryCodeUI, webauthnUI, emailUI, phoneUI];

/** What a ticket or a challenge that names none of the factors above gets: a code from an authenticator app. */
export const DEFAULT_UI: Required<FactorUI> = totpUI;
