/** Fields every imported factor shares (lib/factors/factor.ts `ImportFactor`). */

export const NAME_MAX = 100;

/** The item's `name` (1–100 characters, no control characters), else the factor's default name. */
export function importedName(body: Readonly<Record<string, unknown>>, fallback: string): { ok: true; value: string } | { ok: false; field: string; message: string } {
  const name = body.name;
  if (name === undefined) return { ok: true, value: fallback };
  // eslint-disable-next-line no-control-regex
  if (typeof name !== 'string' || name.trim() === '' || name.length > NAME_MAX || /[\u0000-\u001f\u007f]/.test(name)) {
    return { ok: false, field: 'name', message: `name: must be 1 to ${NAME_MAX} characters, no control characters` };
  }
  return { ok: true, value: name };
}
