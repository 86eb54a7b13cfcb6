/**
 * The handshake: the version rule (major versions must match), and the
 * messages this frontend sends to open a conversation or refuse one.
 */
import { PROTOCOL_VERSION } from './constants';
import type { IError, IHello, IWelcome } from './types';

/** `[major, minor, patch]` of a `X.Y.Z` version (pre-release tail ignored). */
export function parseVersion(v: string): [number, number, number] | null {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+.][0-9A-Za-z.+-]*)?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/** The two sides work together when their major versions are equal. */
export function isCompatible(
  theirs: string,
  ours: string = PROTOCOL_VERSION
): boolean {
  const a = parseVersion(theirs);
  const b = parseVersion(ours);
  return a !== null && b !== null && a[0] === b[0];
}

// ---------------------------------------------------------------- builders

export function hello(version: string): IHello {
  return {
    type: 'hello',
    protocol_version: PROTOCOL_VERSION,
    side: 'frontend',
    version
  };
}

export function welcome(version: string): IWelcome {
  return {
    type: 'welcome',
    protocol_version: PROTOCOL_VERSION,
    side: 'frontend',
    version,
    capabilities: []
  };
}

export function versionMismatch(theirs: string): IError {
  return {
    type: 'error',
    code: 'version_mismatch',
    message: `eager_lab protocol ${theirs} (kernel) is not compatible with ${PROTOCOL_VERSION} (frontend)`,
    protocol_version: PROTOCOL_VERSION
  };
}
