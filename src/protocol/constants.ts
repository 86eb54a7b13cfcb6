/**
 * The numbers of the eager_lab comm protocol, frontend side: its version (not
 * the package version), the comm target both sides register, the size limits
 * the kernel keeps to, and how long this frontend waits for a reply.
 */

/** Protocol version spoken by this frontend (not the package version). */
export const PROTOCOL_VERSION = '1.4.0';

/** Comm target name, registered on both sides. */
export const COMM_TARGET = 'eager_lab';

/** Largest page of rows the kernel sends (it clamps larger limits). */
export const MAX_PAGE_ROWS = 5000;

/** (1.3) Largest page of rows sent as columns. */
export const MAX_COLUMN_ROWS = 50000;

/** Largest number of elements one `values` message carries. */
export const MAX_VALUES = 1048576;

/** A request without a reply after this long has failed. */
export const REQUEST_TIMEOUT_MS = 10000;
