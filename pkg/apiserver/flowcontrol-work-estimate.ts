// How many seats a request occupies, as 1.32's work estimator reckons it (staging/src/k8s.io/
// apiserver/pkg/util/flowcontrol/request/list_work_estimator.go, config.go; the max seats of
// apf_controller.go): a list, or a watch that asks for its initial events, one seat per 100
// objects it goes through (every stored object of its resource when served from the watch cache,
// as 1.32 serves lists by default; twice its limit, or all plus its limit with a selector, when
// it must read etcd: a continue, or a resourceVersionMatch the cache does not take), between 1
// and the level's max seats (15% of its nominal seats, at most nominal / handSize, at least 1;
// at most 10). A write (create, update, patch, delete) is 1 seat, and when 10 watches or more want
// its event (mutating_work_estimator.go) a final phase after it: a seat per 10 watches (at most the
// level's max seats) for 5 ms, longer in proportion when capped. Any other request is 1 seat.

/** DefaultWorkEstimatorConfig: MinimumSeats, MaximumSeatsLimit, ObjectsPerSeat. */
const MINIMUM_SEATS = 1;
const MAXIMUM_SEATS_LIMIT = 10;
const OBJECTS_PER_SEAT = 100;
/** watchesPerSeat, eventAdditionalDuration. */
const WATCHES_PER_SEAT = 10;
const EVENT_MS = 5;
/** priorityLevelMaxSeatsPercent. */
const MAX_SEATS_PERCENT = 0.15;

/** The most seats a request may take at a queuing level (0: the estimator's own limit). */
export function levelMaxSeats(nominalCL: number, handSize: number | undefined): number {
  if (!handSize) return 0;
  return Math.max(1, Math.min(Math.ceil(nominalCL * MAX_SEATS_PERCENT), Math.floor(nominalCL / handSize)));
}

/**
 * listWorkEstimator.estimate: `name` the request's object name (a get: 1 seat; a list's
 * fieldSelector metadata.name=x names one too, as RequestInfoFactory reads it), `stored` the
 * objects of its resource as the ObjectCountTracker gives them (undefined: not counted here, 1
 * seat; a function is asked only when the count matters), `maxSeats` its level's (0: 10).
 */
export function listSeats(verb: string, name: string | undefined, q: URLSearchParams, stored: number | undefined | (() => number | undefined), maxSeats: number): number {
  const max = maxSeats === 0 || maxSeats > MAXIMUM_SEATS_LIMIT ? MAXIMUM_SEATS_LIMIT : maxSeats;
  if (name) return MINIMUM_SEATS;
  if (verb === 'watch' && q.get('sendInitialEvents') !== 'true') return MINIMUM_SEATS;
  const fieldSelector = q.get('fieldSelector');
  if (fieldSelector && selectedName(fieldSelector)) return MINIMUM_SEATS;
  if (typeof stored === 'function') stored = stored();
  if (stored === undefined) return MINIMUM_SEATS;
  const limitParam = Number(q.get('limit') ?? 0);
  if (!Number.isFinite(limitParam)) return max;
  const limit = limitParam > 0 && limitParam < stored ? limitParam : stored;
  let objects: number;
  if (verb === 'watch' || !listsFromStorage(q, limitParam)) objects = stored;
  else if (fieldSelector || q.get('labelSelector')) objects = stored + limit;
  else objects = 2 * limit;
  return Math.min(max, Math.max(MINIMUM_SEATS, Math.ceil(objects / OBJECTS_PER_SEAT)));
}

/** shouldListFromStorage with ConsistentListFromCache (on in 1.32): a continue, or a match the watch cache does not serve. */
function listsFromStorage(q: URLSearchParams, limit: number): boolean {
  if (q.get('continue')) return true;
  const rv = q.get('resourceVersion') ?? '';
  const match = q.get('resourceVersionMatch') ?? '';
  const legacyExactMatch = limit > 0 && match === '' && rv !== '' && rv !== '0';
  return (match !== '' && match !== 'NotOlderThan') || legacyExactMatch;
}

/**
 * A field selector's metadata.name=x (or ==x) term, which makes RequestInfoFactory give a list or
 * watch that name (fields.Selector.RequiresExactMatch, when the name is a valid path segment).
 */
export function selectedName(selector: string): string | undefined {
  for (const term of selector.split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*(.*?)\s*$/.exec(term);
    if (m && m[1] && m[1] !== '.' && m[1] !== '..' && !/[/%]/.test(m[1])) return m[1];
  }
  return undefined;
}

/**
 * mutatingWorkEstimator.estimate: the final phase of a write `watchers` watches want (the
 * WatchTracker's interested count), none under 10; `maxSeats` the level's (0: 10).
 */
export function finalPhase(watchers: number, maxSeats: number): { seats: number; ms: number } | undefined {
  if (watchers < WATCHES_PER_SEAT) return undefined;
  const max = maxSeats === 0 || maxSeats > MAXIMUM_SEATS_LIMIT ? MAXIMUM_SEATS_LIMIT : maxSeats;
  const seats = Math.ceil(watchers / WATCHES_PER_SEAT);
  // (the same seat-seconds, narrower and longer)
  return seats > max ? { seats: max, ms: (EVENT_MS * seats) / max } : { seats, ms: EVENT_MS };
}
