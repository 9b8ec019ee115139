import { ApiError } from '../api.js';

/** Anything an action threw, as the problem a view shows (a bug in the page reads as one too). */
export const asApiError = (err: unknown): ApiError => (err instanceof ApiError ? err : new ApiError({ title: 'The page failed', status: 0, detail: err instanceof Error ? err.message : String(err) }));
