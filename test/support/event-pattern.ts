/**
 * An EventBridge event pattern evaluated as EventBridge does, for the subset of
 * the pattern syntax the stack's rules use: nested objects, arrays of literal
 * values (a match on any; an array in the event matches when any element
 * does), `{ "exists": bool }` and `{ "prefix": string }`. Anything else throws,
 * so a rule that starts using more syntax fails its test instead of being
 * judged wrongly. Written here because moto's TestEventPattern answers nothing
 * and its rule delivery drops the envelope's `account` field.
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function matchesValue(filters: unknown[], present: boolean, value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  return filters.some((f) => {
    if (isObject(f)) {
      const [name, arg, ...rest] = [...Object.keys(f), ...Object.values(f)];
      if (Object.keys(f).length !== 1 || rest.length) throw new Error(`unsupported filter ${JSON.stringify(f)}`);
      if (name === 'exists') return arg === present;
      if (name === 'prefix' && typeof arg === 'string') return present && values.some((v) => typeof v === 'string' && v.startsWith(arg));
      throw new Error(`unsupported filter ${JSON.stringify(f)}`);
    }
    if (Array.isArray(f)) throw new Error('a filter list may not nest lists');
    return present && values.some((v) => v === f);
  });
}

/** Whether EventBridge would match `event` (the delivered envelope) against `pattern`. */
export function matchesPattern(pattern: Record<string, Json>, event: unknown): boolean {
  return Object.entries(pattern).every(([key, filter]) => {
    if (key.startsWith('$')) throw new Error(`unsupported pattern operator ${key}`);
    const present = isObject(event) && Object.hasOwn(event, key);
    const value = present ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(filter)) return matchesValue(filter, present && !isObject(value), value);
    if (isObject(filter)) return isObject(value) && matchesPattern(filter, value);
    throw new Error(`a pattern's leaves are lists, not ${JSON.stringify(filter)}`);
  });
}
