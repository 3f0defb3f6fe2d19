import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import type { KeyRing } from '../config';
import { AppError, badRequest, conflict, notFound } from '../errors';
import type { FactorName, ImportFactor } from '../factors/factor';
import { importTypeOf, METHOD_TYPES, methodTypeOf, RECOVERY_CODE } from '../factors/method-types';
import { viewOf } from '../factors/registry';
import { isOn, type FactorSwitches } from '../factors/switches';
import { checkUserId } from '../mfa/user-mfa';
import { isEnrollmentId } from '../store/records';
import { enrollmentNotFound } from './admin';
import type { EnrollmentDetail, EnrollmentStore, NewEnrollment } from './enrollment-store';

/**
 * The vendor's Management API for a user's factors (`/api/v2/users/{id}/authentication-methods`, its SDK's
 * `users.authenticationMethods`), over our enrollments. Decisions (docs/AUTHENTICATION-METHODS.md):
 * - A method's `id` is the enrollment id (`enr_…`): the vendor's SDK passes it through as an opaque path segment.
 * - A recovery code is not a method of its own here: it rides on an enrollment (its `recovery_code_hash`). The list
 *   shows it as the vendor does, one `recovery-code` item while the user holds a live code, whose id is
 *   `recovery-code|<enrollment id>` of the enrollment carrying it; it can be read, not renamed or deleted alone
 *   (deleting that enrollment removes it; `POST /api/v2/users/{id}/recovery-code-regeneration` replaces it).
 * - Importing (`POST`, `PUT`) goes through each factor's `ImportFactor` (lib/factors/<factor>/import.ts).
 * Never a secret, hash or recovery code in an answer.
 */

const RECOVERY_CODE_PREFIX = 'recovery-code|';

const optionalText = (max: number) => v.optional(v.pipe(v.string(), v.maxLength(max, `must be at most ${max} characters`)));

/** The vendor's `preferred_authentication_method`: how a method with several ways (a phone) sends its codes. */
const preferredWay = v.optional(v.picklist(['sms', 'voice'], 'must be sms or voice'));

/** One method to create, in the vendor's field names; each factor's parser checks its own fields further. */
export const createMethodSchema = v.strictObject({
  type: v.picklist(METHOD_TYPES, `must be one of ${METHOD_TYPES.join(', ')}`),
  name: optionalText(100),
  totp_secret: optionalText(256),
  phone_number: optionalText(64),
  email: optionalText(320),
  preferred_authentication_method: preferredWay,
  key_id: optionalText(1400),
  public_key: optionalText(1400),
  aaguid: optionalText(64),
  relying_party_identifier: optionalText(253),
  credential_device_type: optionalText(32),
  credential_backed_up: v.optional(v.boolean()),
  identity_user_id: optionalText(256),
  user_agent: optionalText(512),
  user_handle: optionalText(256),
  transports: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(32))), v.maxLength(8, 'must list at most 8'))),
});
export type CreateMethodInput = v.InferOutput<typeof createMethodSchema>;

export const updateMethodSchema = v.strictObject({
  name: optionalText(100),
  preferred_authentication_method: preferredWay,
});

/** The vendor's paging: `page` from 0, `per_page` 1–100 (default 50), `include_totals` (default false). */
export function pagingOf(query: Record<string, string | undefined> | undefined): { page: number; perPage: number; includeTotals: boolean } {
  const number = (name: string, fallback: number, min: number, max: number) => {
    const raw = query?.[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d{1,6}$/.test(raw) || value < min || value > max) throw badRequest(`invalid_${name}`, `${name}: must be a whole number from ${min} to ${max}`);
    return value;
  };
  const totals = query?.include_totals;
  if (totals !== undefined && totals !== 'true' && totals !== 'false') throw badRequest('invalid_include_totals', 'include_totals: must be true or false');
  return { page: number('page', 0, 0, 100_000), perPage: number('per_page', 50, 1, 100), includeTotals: totals === 'true' };
}

const iso = (ms: number) => new Date(ms).toISOString();

function identifierOf(e: EnrollmentDetail): Record<string, string> {
  const view = viewOf(e.factor as FactorName);
  const masked = view.maskedIdentifier?.(e);
  return view.identifierField && masked ? { [view.identifierField]: masked } : {};
}

/** An enrollment as the vendor lists a method, plus `enabled` (its factor's switch). Public fields only. */
export function methodView(e: EnrollmentDetail, switches: FactorSwitches | undefined) {
  const common = {
    id: e.enrollment_id,
    type: methodTypeOf(e.factor),
    confirmed: true,
    name: e.name,
    created_at: iso(e.created_at),
    enrolled_at: iso(e.created_at),
    ...(e.last_used_at ? { last_auth_at: iso(e.last_used_at) } : {}),
    enabled: isOn(switches, e.factor as FactorName),
    // An address or number, masked as lists show it, under the vendor's field for it (`email`, `phone_number`).
    ...identifierOf(e),
    // A factor with several ways of sending (a phone: text or call) says which it uses.
    ...('preferred_authentication_method' in e && e.preferred_authentication_method ? { preferred_authentication_method: e.preferred_authentication_method } : {}),
  };
  if (!('credential_id' in e)) return common;
  return {
    ...common,
    key_id: e.credential_id,
    public_key: Buffer.from(e.public_key, 'base64url').toString('base64'),
    aaguid: e.aaguid,
    relying_party_identifier: e.rp_id,
    credential_device_type: e.device_type === 'multiDevice' ? 'multi_device' : 'single_device',
    credential_backed_up: e.backed_up,
    transports: e.transports,
  };
}
export type MethodView = ReturnType<typeof methodView>;

/** The user's live recovery code as the vendor lists it: no secret, only that there is one and since when. */
function recoveryCodeView(holder: EnrollmentDetail, switches: FactorSwitches | undefined) {
  return {
    id: `${RECOVERY_CODE_PREFIX}${holder.enrollment_id}`,
    type: RECOVERY_CODE,
    confirmed: true,
    created_at: iso(holder.created_at),
    enrolled_at: iso(holder.created_at),
    enabled: isOn(switches, RECOVERY_CODE),
  };
}

export interface MethodsDeps {
  enrollments: Pick<EnrollmentStore, 'detailsForUser' | 'writeImported' | 'update' | 'delete' | 'ownerOf'>;
  switches: { get(): Promise<FactorSwitches> };
  importers: readonly ImportFactor[];
  config: { encryptionKeys: KeyRing; rpId: string | undefined };
  now: () => number;
  random?: (size: number) => Buffer;
}

/** Every method of the user, oldest first, the recovery code after the enrollment carrying it. */
async function allMethods(deps: MethodsDeps, userId: string) {
  const [details, switches] = await Promise.all([deps.enrollments.detailsForUser(checkUserId(userId)), deps.switches.get()]);
  return details.flatMap((e) => [methodView(e, switches), ...(e.holds_recovery_code ? [recoveryCodeView(e, switches)] : [])]);
}

export async function listMethods(deps: MethodsDeps, userId: string, paging: ReturnType<typeof pagingOf>) {
  const all = await allMethods(deps, userId);
  const start = paging.page * paging.perPage;
  const page = all.slice(start, start + paging.perPage);
  return paging.includeTotals ? { start, limit: paging.perPage, total: all.length, authenticators: page } : page;
}

const methodNotFound = (id: string) => notFound('authentication_method_not_found', `method_id: the user has no authentication method ${id}`);

export async function getMethod(deps: MethodsDeps, userId: string, methodId: string) {
  const found = (await allMethods(deps, userId)).find((m) => m.id === methodId);
  if (!found) throw methodNotFound(methodId);
  return found;
}

/**
 * PATCH: `name`, and `preferred_authentication_method` for a method with several ways of sending (a phone: the
 * enrollment keeps the field, so the write's condition is that it has one); both in one conditional write.
 */
export async function updateMethod(deps: MethodsDeps, userId: string, methodId: string, input: v.InferOutput<typeof updateMethodSchema>) {
  if (methodId.startsWith(RECOVERY_CODE_PREFIX)) throw badRequest('unsupported_type', 'method_id: a recovery code has no name to change');
  if (input.name !== undefined && input.name.trim() === '') throw badRequest('invalid_name', 'name: must not be empty');
  if (input.name === undefined && input.preferred_authentication_method === undefined) return getMethod(deps, userId, methodId);
  if (!isEnrollmentId(methodId)) throw methodNotFound(methodId);
  if (!(await deps.enrollments.update(checkUserId(userId), methodId, input))) {
    // Refused: not the user's, or (asked to change the way) a method with one way only.
    const method = await getMethod(deps, userId, methodId);
    throw badRequest('invalid_preferred_authentication_method', `preferred_authentication_method: a ${method.type} method has one way of sending; only phone methods have two`);
  }
  return getMethod(deps, userId, methodId);
}

/** DELETE one: the enrollment through the one delete path (its pointer, key and the user's count go with it). */
export async function deleteMethod(deps: MethodsDeps, userId: string, methodId: string): Promise<void> {
  if (methodId.startsWith(RECOVERY_CODE_PREFIX)) {
    throw badRequest('unsupported_type', 'method_id: a recovery code rides on an enrollment; delete that one, or regenerate the code');
  }
  // Only the user's own: the id alone would reach anyone's enrollment.
  if (!isEnrollmentId(methodId) || (await deps.enrollments.ownerOf(methodId))?.user_id !== checkUserId(userId)) throw methodNotFound(methodId);
  if (!(await deps.enrollments.delete(methodId, deps.now()))) throw methodNotFound(methodId);
}

/** One request item → the enrollment to write, through its factor's parser; 400 naming the field otherwise. */
function parseItem(deps: MethodsDeps, userId: string, item: CreateMethodInput, at: string): NewEnrollment {
  const type = importTypeOf(item.type);
  const importer = deps.importers.find((i) => i.type === type);
  if (!importer) throw badRequest('unsupported_type', `${at}type: ${item.type} methods cannot be imported`);
  const parsed = importer.parse(item, { userId, keys: deps.config.encryptionKeys, now: deps.now(), random: deps.random ?? randomBytes, rpId: deps.config.rpId });
  if (!parsed.ok) throw badRequest(`invalid_${parsed.field}`, `${at}${parsed.message}`);
  return { enrollment: parsed.enrollment, credentialId: parsed.credentialId };
}

/** DynamoDB's transaction limit: a PUT that needs more writes than this is refused whole rather than half done. */
export const MAX_TRANSACTION_ITEMS = 100;

async function write(deps: MethodsDeps, userId: string, added: NewEnrollment[], replacing: Awaited<ReturnType<EnrollmentStore['detailsForUser']>> = []) {
  const keys = added.flatMap((a) => (a.credentialId ? [a.credentialId] : []));
  if (new Set(keys).size !== keys.length) throw badRequest('invalid_key_id', 'key_id: the same credential is listed twice');
  const writes = replacing.reduce((n, e) => n + 2 + ('credential_id' in e ? 1 : 0), 0) + added.reduce((n, a) => n + 2 + (a.credentialId ? 1 : 0), 0) + 1;
  if (writes > MAX_TRANSACTION_ITEMS) {
    throw badRequest('too_many_methods', `body: replacing ${replacing.length} methods with ${added.length} takes ${writes} writes; one transaction holds ${MAX_TRANSACTION_ITEMS}`);
  }
  const pointers = replacing.map((e) => ({ enrollment_id: e.enrollment_id, user_id: userId, credential_id: 'credential_id' in e ? e.credential_id : undefined }));
  const result = await deps.enrollments.writeImported(userId, added, deps.now(), pointers);
  if (result.ok) return;
  if (result.reason === 'credential_registered') throw conflict('credential_registered', `key_id: credential ${result.credentialId} is already registered`);
  throw new AppError(409, 'conflict', 'The user\'s methods changed during this request; try again');
}

/** POST: one method imported, answered as the vendor answers a create (201, the method; never its secret). */
export async function createMethod(deps: MethodsDeps, userId: string, input: CreateMethodInput) {
  const added = parseItem(deps, checkUserId(userId), input, '');
  await write(deps, userId, [added]);
  return { ...methodView({ ...added.enrollment, holds_recovery_code: false } as EnrollmentDetail, await deps.switches.get()), type: input.type };
}

export const replaceMethodsSchema = v.pipe(v.array(createMethodSchema), v.maxLength(32, 'must list at most 32 methods'));

/** PUT: the user's methods become exactly these, in one transaction (the old ones' recovery codes go with them). */
export async function replaceMethods(deps: MethodsDeps, userId: string, items: CreateMethodInput[]) {
  const added = items.map((item, i) => parseItem(deps, checkUserId(userId), item, `[${i}].`));
  const existing = await deps.enrollments.detailsForUser(userId);
  await write(deps, userId, added, existing);
  const switches = await deps.switches.get();
  return added.map((a, i) => ({ ...methodView({ ...a.enrollment, holds_recovery_code: false } as EnrollmentDetail, switches), type: items[i]!.type }));
}

/** `GET /api/v2/guardian/enrollments/{id}`: the vendor's enrollment shape (`id`, `status`, `name`, `enrolled_at`, `last_auth`). */
export async function getGuardianEnrollment(deps: Pick<MethodsDeps, 'enrollments'>, id: string) {
  const owner = isEnrollmentId(id) ? await deps.enrollments.ownerOf(id) : undefined;
  const found = owner && (await deps.enrollments.detailsForUser(owner.user_id)).find((e) => e.enrollment_id === id);
  if (!found) throw enrollmentNotFound(id);
  return {
    id: found.enrollment_id,
    status: 'confirmed' as const,
    name: found.name,
    enrolled_at: iso(found.created_at),
    ...(found.last_used_at ? { last_auth: iso(found.last_used_at) } : {}),
  };
}
