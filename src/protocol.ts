/**
 * The eager_lab comm protocol, frontend side. The contract is
 * docs/protocol.md; its examples are checked against the guards in
 * src/__tests__/protocol.spec.ts.
 *
 * Importers use this file; the protocol itself is in protocol/: its numbers
 * (constants.ts), payload and message types (types.ts), runtime checks of
 * what arrives (guards.ts), the version rule and handshake messages
 * (handshake.ts), value buffers read as typed arrays (values.ts), pages of
 * rows sent as columns read back into rows (columns.ts) and their summary
 * lines made as Python makes them (summaryText.ts, decimal.ts). It is a
 * file beside the folder, not protocol/index.ts, so that `./protocol` never
 * resolves to a stale lib/protocol.js left by a build from before the split.
 */
export * from './protocol/constants';
export * from './protocol/types';
export * from './protocol/guards';
export * from './protocol/handshake';
export * from './protocol/values';
export * from './protocol/columns';
export * from './protocol/summaryText';
