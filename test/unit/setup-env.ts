import { resultPublicKeysOf } from '../../infra/local/result-keys';

// Unit tests import handlers, which validate configuration at load: give them a complete, fake one.
const key = (text: string) => Buffer.from(text.padEnd(32, '.')).toString('base64');

process.env.STAGE ??= 'test';
process.env.TABLE_NAME ??= 'tickets-unit';
process.env.PUBLIC_BASE_URL ??= 'https://mfa.example.com';
process.env.RESULT_URL_ORIGINS ??= 'https://app.example.com';
// sha256("unit-admin-key-0123456789")
process.env.ADMIN_API_KEY_HASHES ??= '0c16881fee7f6e4ae44891755a44a41c55417f862bb91c05de46a00a45a083b9';
process.env.TICKET_SIGNING_KEYS ??= `k2:${key('unit-signing-key-2')},k1:${key('unit-signing-key-1')}`;
process.env.ENCRYPTION_KEYS ??= `e1:${key('unit-encryption-key-1')}`;
process.env.EMAIL_FROM ??= 'tickets@mfa.example.com';
process.env.PHONE_ORIGINATION_IDENTITY ??= '+12065550100';
process.env.PHONE_ALLOWED_COUNTRIES ??= 'US,CA,GB,FR,DE,ES,BR';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'unit';
process.env.AWS_SECRET_ACCESS_KEY ??= 'unit';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// A fresh P-256 key per run: tests that need a known one build their own.
process.env.RESULT_SIGNING_KEYS ??= `r1:${require('node:crypto').generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')}`;
// The JWKS and verify functions get the public halves only (infra/local/result-keys.ts derives them).
process.env.RESULT_PUBLIC_KEYS ??= resultPublicKeysOf(process.env.RESULT_SIGNING_KEYS);
