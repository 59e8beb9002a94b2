// JSON values as JSON.parse gives them, and the object test every walk over them makes.

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Whether V is a JSON object: not null, not an array. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** isObject for a walk over values known to be JSON, whose members are then JSON too. */
export const isJsonObject = isObject as (v: unknown) => v is JsonObject;
