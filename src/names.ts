/**
 * Graph names that tell rows apart in a narrow column.
 *
 * A step's names share long scopes (`regressor_1/hidden_1/...`) and leaves
 * (`ReadVariableOp:0`), so neither end alone tells rows apart. For each name
 * `DistinctNames` keeps the shortest run of its last path components that no
 * other name of the step ends with (`hidden_1/Cast/ReadVariableOp:0`), as the
 * rows arrive; `fitName` then picks what of the name a cell of a given width
 * shows: leading components go first (those every name shares before any
 * other), then the middle of the distinctive run (`hidden_1/…/ReadVariableOp:0`),
 * and past that the cell's CSS elides the start of what is left. No DOM here.
 */

/** What a name cell shows for left-out components in the middle of a name. */
export const NAME_GAP = '…/';

/** What `DistinctNames` knows of one name, for `fitName`. */
export interface INameHint {
  /**
   * Index of the component where the shortest distinctive run starts (0: the
   * whole name, also when another row has the very same name).
   */
  first: number;
  /** Leading components that every name of the step shares (never a leaf). */
  common?: number;
  /**
   * Whether `first/…/leaf` tells the name apart (no other name leaves out its
   * middle to the same text).
   */
  gap?: boolean;
  /**
   * Components always left out at the start (the scope a group header above
   * the row already shows).
   */
  floor?: number;
}

/**
 * What a cell shows of a name: `name.slice(start, gapFrom)`, then `…/` when
 * `gapFrom < gapTo`, then `name.slice(gapTo)`. `leaf` is where the last
 * component starts (`gapFrom <= gapTo <= leaf`, or both `leaf` when no gap).
 * When that is still wider than the cell, the cell elides its start.
 */
export interface INameFit {
  start: number;
  gapFrom: number;
  gapTo: number;
  leaf: number;
}

/**
 * What of `name` to show in `width` characters (monospace): the longest run of
 * last components that fits, starting no later than the distinctive run (and
 * leaving out shared leading components first); else the distinctive run's
 * first component, `…/`, and as many last components as fit (at least the
 * leaf); else the distinctive run (the cell elides its start).
 */
export function fitName(
  name: string,
  width: number,
  hint: INameHint = { first: 0 }
): INameFit {
  const starts = componentStarts(name);
  const k = starts.length - 1;
  const leaf = starts[k];
  const floor = clamp(hint.floor ?? 0, 0, k);
  const first = clamp(hint.first, 0, k);
  const last = Math.max(first, clamp(hint.common ?? 0, 0, k), floor);
  const plain = (j: number): INameFit => ({
    start: starts[j],
    gapFrom: leaf,
    gapTo: leaf,
    leaf
  });
  for (let j = floor; j <= last; j++) {
    if (name.length - starts[j] <= width) {
      return plain(j);
    }
  }
  // The gap keeps the distinctive run's first component: only when the run is
  // what shows, and there is a middle to leave out.
  if (hint.gap && last === first && first <= k - 2) {
    const head = starts[first + 1] - starts[first];
    for (let m = first + 2; m <= k; m++) {
      if (head + NAME_GAP.length + name.length - starts[m] <= width) {
        return {
          start: starts[first],
          gapFrom: starts[first + 1],
          gapTo: starts[m],
          leaf
        };
      }
    }
    // Nothing fits: the cell elides the start of `first/…/leaf`, if leaving
    // the middle out saves room at all.
    if (leaf - starts[first + 1] > NAME_GAP.length) {
      return {
        start: starts[first],
        gapFrom: starts[first + 1],
        gapTo: leaf,
        leaf
      };
    }
  }
  return plain(last);
}

/**
 * The text a cell `width` characters wide shows for `fit` of `name`: its
 * parts, and `…` in place of what the cell's start elision hides.
 */
export function shownName(
  name: string,
  fit: INameFit,
  width = Infinity
): string {
  const gap = fit.gapFrom < fit.gapTo ? NAME_GAP : '';
  const text = name.slice(fit.start, fit.gapFrom) + gap + name.slice(fit.gapTo);
  if (text.length <= width) {
    return text;
  }
  return '…' + text.slice(text.length - Math.max(0, width - 1));
}

/**
 * The distinctive runs of a step's names, kept as rows arrive (`add`): a trie
 * of the names' components from the leaf up counts the names that end with
 * each run. It is built lazily: a name's path stops at the first node no other
 * name has reached (its run), and goes one component further only when
 * another name gets there, so a name with a leaf of its own costs one node.
 */
export class DistinctNames {
  /** Rows added so far. */
  get size(): number {
    return this._names.length;
  }

  /** Leading components that every name added shares (never a leaf). */
  get common(): number {
    return this._common?.length ?? 0;
  }

  /** What `fitName` needs for row `i` (unnamed rows: the whole name). */
  hint(i: number): INameHint {
    const key = this._gapKey[i];
    const name = this._names[i];
    const at = this._first[i] ?? 0;
    let first = 0;
    for (let p = name ? name.indexOf('/') : -1; p >= 0 && p < at;) {
      first++;
      p = name!.indexOf('/', p + 1);
    }
    return {
      first,
      common: this.common,
      gap: key !== null && key !== undefined && this._gapCount.get(key) === 1
    };
  }

  /**
   * Add the next rows' names (null: unnamed). Returns whether a row added
   * before may show differently now (its run grew, its `first/…/leaf` became
   * shared or no longer is, or the shared start shrank).
   */
  add(names: Iterable<string | null>): boolean {
    const from = this._names.length;
    this._changed = false;
    for (const name of names) {
      const i = this._names.length;
      this._names.push(name);
      this._starts.push(null);
      this._first.push(0);
      this._gapKey.push(null);
      if (name !== null) {
        this._shrinkCommon(name, from);
        this._insert(i, name, from);
      }
    }
    return this._changed;
  }

  /**
   * Walk row `i`'s components from its leaf up. A node that one name alone
   * reached ends that name's path (the trie is built lazily): when a second
   * name reaches it, the first one's path goes one component further.
   */
  private _insert(i: number, name: string, from: number): void {
    let node = 0;
    let end = name.length;
    while (end >= 0) {
      const cut = end > 0 ? name.lastIndexOf('/', end - 1) : -1;
      const part = name.slice(cut + 1, end);
      const child = this._children[node]?.get(part);
      if (child === undefined) {
        this._newNode(node, part, i);
        this._setFirst(i, cut + 1, from);
        return;
      }
      if (this._count[child] === 1) {
        this._extend(this._owner[child], child, from);
      }
      this._count[child]++;
      node = child;
      end = cut; // -1 past the first component
    }
    // Every run of this name ends another name too: the whole name it is.
    this._setFirst(i, 0, from);
  }

  /** Row `o`'s path ended at `node`, which another name now reaches too. */
  private _extend(o: number, node: number, from: number): void {
    const starts = this._startsOf(o);
    const j = starts.length - 1 - this._depth[node];
    if (j < 0) {
      this._setFirst(o, 0, from); // its whole name ends the other one
      return;
    }
    const name = this._names[o]!;
    const end = starts[j + 1] - 1;
    this._newNode(node, name.slice(starts[j], end), o);
    this._setFirst(o, starts[j], from);
  }

  private _startsOf(i: number): number[] {
    let starts = this._starts[i];
    if (!starts) {
      starts = this._starts[i] = componentStarts(this._names[i]!);
    }
    return starts;
  }

  private _newNode(parent: number, part: string, owner: number): void {
    let children = this._children[parent];
    if (!children) {
      children = this._children[parent] = new Map();
    }
    children.set(part, this._count.length);
    this._count.push(1);
    this._owner.push(owner);
    this._depth.push(this._depth[parent] + 1);
  }

  /**
   * Row `i`'s run starts at character `at` (a component's start): keep it,
   * and its gap key counted.
   */
  private _setFirst(i: number, at: number, from: number): void {
    const name = this._names[i]!;
    // first/…/leaf: when the run has a middle to leave out.
    const slash = name.indexOf('/', at);
    const last = name.lastIndexOf('/');
    const key =
      slash >= 0 && slash < last
        ? `${name.slice(at, slash)}/${name.slice(last + 1)}`
        : null;
    if (i < from && at !== this._first[i]) {
      this._changed = true;
    }
    this._first[i] = at;
    const old = this._gapKey[i];
    if (key === old) {
      return;
    }
    // A count going to 2, or back to 1, changes whether another row may
    // leave its middle out.
    if (old !== null) {
      const n = this._gapCount.get(old)! - 1;
      this._gapCount.set(old, n);
      this._changed = this._changed || (n === 1 && from > 0);
    }
    if (key !== null) {
      const n = (this._gapCount.get(key) ?? 0) + 1;
      this._gapCount.set(key, n);
      this._changed = this._changed || (n === 2 && from > 0);
    }
    this._gapKey[i] = key;
  }

  /** What the shared start has in common with `name`'s components. */
  private _shrinkCommon(name: string, from: number): void {
    const common = this._common;
    if (common === null) {
      const cut = name.lastIndexOf('/');
      this._common = cut < 0 ? [] : name.slice(0, cut).split('/');
      this._commonText = cut < 0 ? '' : name.slice(0, cut + 1);
      return;
    }
    if (name.startsWith(this._commonText)) {
      return; // (it ends with `/`: the name's leaf is past it)
    }
    const parts = name.split('/');
    const k = parts.length - 1;
    let c = 0;
    while (c < common.length && c < k && common[c] === parts[c]) {
      c++;
    }
    common.length = c;
    this._commonText = c > 0 ? common.join('/') + '/' : '';
    this._changed = this._changed || from > 0;
  }

  /** Whether the current `add` changed what an earlier row shows. */
  private _changed = false;
  private _common: string[] | null = null;
  /** The shared start as text, `/` after each component. */
  private _commonText = '';
  /** Names that reached each trie node (node 0: the root). */
  private _count: number[] = [0];
  /** Components from the leaf to each node. */
  private _depth: number[] = [0];
  /** Where each row's run starts, in characters. */
  private _first: number[] = [];
  private _gapCount = new Map<string, number>();
  private _gapKey: Array<string | null> = [];
  private _names: Array<string | null> = [];
  /** Trie edges: a node's next components up (only nodes that have any). */
  private _children: Array<Map<string, number> | undefined> = [];
  /** The row whose path ends at a node that one name alone reached. */
  private _owner: number[] = [-1];
  /** Where the components of rows start, once needed. */
  private _starts: Array<number[] | null> = [];
}

/** Where each `/`-separated component of `name` starts. */
function componentStarts(name: string): number[] {
  const starts = [0];
  for (let p = name.indexOf('/'); p >= 0; p = name.indexOf('/', p + 1)) {
    starts.push(p + 1);
  }
  return starts;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}
