import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { badRequest } from '../errors';
import { factorSwitchesKey, type EnrollmentRecord } from '../store/records';
import type { FactorName, FactorUse } from './factor';
import { FACTORS, factorEnrolling } from './registry';

/**
 * Factor switches (`GET`/`PUT /api/v2/guardian/factors`): one item in the table (`CONFIG#guardian-factors`), read by
 * the functions through a per-container cache of at most 60 s, so a switch costs no read on most requests and takes
 * effect everywhere within the cache's age. A factor not named in the item is on: the default is everything the
 * deployment configures.
 */

/** The names a switch can have: each factor's kinds (`enrolls`), or its name for one that rides on others. */
export const SWITCH_NAMES: readonly FactorName[] = FACTORS.flatMap((f) => (f.enrolls.length > 0 ? f.enrolls : [f.name]));
export const isSwitchName = (name: string): name is FactorName => (SWITCH_NAMES as readonly string[]).includes(name);

/** The switches as stored: only the names an operator has set. */
export type FactorSwitches = Partial<Record<FactorName, boolean>>;

export const isOn = (switches: FactorSwitches | undefined, name: FactorName) => switches?.[name] !== false;

/**
 * The switch that governs using `enrollment` with `factor`: the enrollment's own kind for a factor that enrolls it
 * (a passkey is `webauthn-platform` even though the WebAuthn factor's name is `webauthn-roaming`), else the factor's
 * name (a recovery code rides on any enrollment).
 */
export function switchFor(factor: Pick<FactorUse, 'name'>, enrollment: Pick<EnrollmentRecord, 'factor'>): FactorName {
  return factorEnrolling(enrollment.factor)?.name === factor.name ? enrollment.factor : factor.name;
}

/** The enrollments `factor` may use while `switches` hold: none of a switched-off kind. */
export const enabledFor = <E extends EnrollmentRecord>(factor: Pick<FactorUse, 'name'>, enrollments: readonly E[], switches: FactorSwitches | undefined): E[] =>
  enrollments.filter((e) => isOn(switches, switchFor(factor, e)));

/** 400 `factor_disabled`: an operator switched this factor off for everyone (`PUT /api/v2/guardian/factors/{name}`). */
export const factorDisabled = (name: string) => badRequest('factor_disabled', `factor: ${name} is switched off for this deployment`);

const MAX_AGE_LIMIT_SEC = 60;

/** FACTOR_SWITCHES_CACHE_SEC: 0–60 (default 30); the local stack uses 0 so a switch shows at once. */
export function cacheMaxAgeMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FACTOR_SWITCHES_CACHE_SEC;
  if (raw === undefined || raw === '') return 30_000;
  const sec = Number(raw);
  if (!Number.isInteger(sec) || sec < 0 || sec > MAX_AGE_LIMIT_SEC) {
    throw new Error(`Invalid configuration: FACTOR_SWITCHES_CACHE_SEC: must be a whole number of seconds from 0 to ${MAX_AGE_LIMIT_SEC}`);
  }
  return sec * 1000;
}

/** Per container (module scope), per table. */
const cache = new Map<string, { switches: FactorSwitches; readAt: number }>();

export class FactorSwitchStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly maxAgeMs: number = cacheMaxAgeMs(),
    private readonly clock: () => number = Date.now,
  ) {}

  /** The switches, from this container's cache while it is younger than the maximum age, else one read. */
  async get(): Promise<FactorSwitches> {
    const cached = cache.get(this.tableName);
    const now = this.clock();
    if (cached && now - cached.readAt < this.maxAgeMs) return cached.switches;
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: factorSwitchesKey() }));
    // An answer without output (a stubbed client) reads as no item: every factor on.
    const stored = (out?.Item ?? {}) as Record<string, unknown>;
    const switches: FactorSwitches = {};
    for (const name of SWITCH_NAMES) if (typeof stored[name] === 'boolean') switches[name] = stored[name] as boolean;
    cache.set(this.tableName, { switches, readAt: now });
    return switches;
  }

  /** Sets one switch (one attribute of the item, named after the factor; others untouched), refreshing this container's cache. */
  async set(name: FactorName, enabled: boolean, now: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: factorSwitchesKey(),
        UpdateExpression: 'SET #name = :enabled, #type = :type, updated_at = :now',
        ExpressionAttributeNames: { '#name': name, '#type': 'type' },
        ExpressionAttributeValues: { ':enabled': enabled, ':type': 'factor-switches', ':now': now },
      }),
    );
    cache.delete(this.tableName);
  }
}

/** Forgets every cached read (tests). */
export const clearFactorSwitchCache = () => cache.clear();
