/**
 * The scope tree of a step's rows, for grouping by scope: one node per graph
 * name scope (`dense`, `dense/MatMul_grad`), holding row indices and child
 * scopes in order of first appearance, each with counts of the rows, errors
 * and NaN/Inf rows below it. Built as rows arrive; no DOM, no signals.
 */
import type { ITensorRow } from '../protocol';

/** Group key of unnamed rows (no real scope contains a NUL). */
export const UNNAMED_SCOPE = '\u0000unnamed';

export interface IScopeNode {
  path: string;
  label: string;
  parent: IScopeNode | null;
  depth: number;
  /** Row indices and child scopes, in order of first appearance. */
  items: Array<number | IScopeNode>;
  count: number;
  errors: number;
  nonfinite: number;
}

export class ScopeTree {
  /** The top level (path `''`): top-level scopes and rows without a scope. */
  readonly root: IScopeNode = newNode('', '', null, 0);

  /** Add row `k` under its scope; the scope and its ancestors count it. */
  add(k: number, row: ITensorRow): void {
    const node =
      row.scope === null ? this._unnamedNode() : this._nodeFor(row.scope);
    node.items.push(k);
    for (let n: IScopeNode | null = node; n; n = n.parent) {
      n.count += 1;
      if (row.error !== null) {
        n.errors += 1;
      }
      if (row.nan > 0 || row.inf > 0) {
        n.nonfinite += 1;
      }
    }
  }

  /** The node holding rows of `scope` (null: the unnamed group), if any. */
  nodeOf(scope: string | null): IScopeNode | undefined {
    return this._nodes.get(scope ?? UNNAMED_SCOPE);
  }

  /** Unnamed rows have no scope: they share one top-level group. */
  private _unnamedNode(): IScopeNode {
    let node = this._nodes.get(UNNAMED_SCOPE);
    if (!node) {
      node = newNode(UNNAMED_SCOPE, '<unnamed>', this.root, 1);
      this.root.items.push(node);
      this._nodes.set(UNNAMED_SCOPE, node);
    }
    return node;
  }

  private _nodeFor(scope: string): IScopeNode {
    const found = this._nodes.get(scope);
    if (found) {
      return found;
    }
    const cut = scope.lastIndexOf('/');
    const parent = cut < 0 ? this.root : this._nodeFor(scope.slice(0, cut));
    const node = newNode(
      scope,
      cut < 0 ? scope : scope.slice(cut + 1),
      parent,
      parent.depth + 1
    );
    parent.items.push(node);
    this._nodes.set(scope, node);
    return node;
  }

  private _nodes = new Map<string, IScopeNode>([['', this.root]]);
}

/**
 * Paths of the groups a row of `scope` sits in, outermost first: `a`, `a/b`
 * for `a/b`; the unnamed group for null. A top-level row (`''`) gives `['']`,
 * the top level itself, which is never a group.
 */
export function scopePaths(scope: string | null): string[] {
  return scope === null
    ? [UNNAMED_SCOPE]
    : scope.split('/').map((_, k, parts) => parts.slice(0, k + 1).join('/'));
}

function newNode(
  path: string,
  label: string,
  parent: IScopeNode | null,
  depth: number
): IScopeNode {
  return {
    path,
    label,
    parent,
    depth,
    items: [],
    count: 0,
    errors: 0,
    nonfinite: 0
  };
}
