/** What one request may ask of the API, known to the agent that sizes its requests and the API that checks them. */

/** Ranges one check job may cover (the agent sends more in several requests). */
export const MAX_CHECK_RANGES = 4096;

/**
 * Rows one manifest-check job may compare: the agent's keys, and the remote rows it loads (a job whose ranges hold
 * more remotely answers `overLimit` instead, and the agent asks again for smaller ranges).
 */
export const MAX_MANIFEST_ROWS = 100_000;

/**
 * Rows one content check job may load with all their columns (a job whose ranges hold more answers `overLimit`, and
 * the agent asks again for smaller ranges).
 */
export const MAX_CONTENT_ROWS = 50_000;

/** The longest a status request may wait for its job to finish: well within any HTTP client's or proxy's timeout. */
export const MAX_JOB_WAIT_MS = 10_000;
