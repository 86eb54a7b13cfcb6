/**
 * Checks of plain JSON values, which the message guards (guards.ts) and the
 * column pages' guard (columns.ts) are made of.
 */
import type { ISource } from './types';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isStr(v: unknown): v is string {
  return typeof v === 'string';
}

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function isInt(v: unknown): v is number {
  return Number.isInteger(v);
}

export function isNat(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0;
}

export function isBool(v: unknown): v is boolean {
  return typeof v === 'boolean';
}

export function orNull<T>(
  guard: (v: unknown) => v is T
): (v: unknown) => v is T | null {
  return (v: unknown): v is T | null => v === null || guard(v);
}

export function arrayOf<T>(
  guard: (v: unknown) => v is T
): (v: unknown) => v is T[] {
  return (v: unknown): v is T[] => Array.isArray(v) && v.every(guard);
}

export function isSource(v: unknown): v is ISource {
  return (
    isObj(v) &&
    isStr(v.file) &&
    isNat(v.line) &&
    isStr(v.function) &&
    // `cell` may be left out for a file.
    (v.cell === undefined || v.cell === null || isInt(v.cell)) &&
    (v.cell_id === undefined || orNull(isStr)(v.cell_id))
  );
}
