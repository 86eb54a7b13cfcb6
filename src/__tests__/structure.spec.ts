/**
 * The frontend's shape: no import cycles among src/ files. Type-only imports
 * count: a cycle through one still means neither file can be read (or
 * changed) without the other. tests/test_structure.py checks the same of the
 * Python package, and the length of every file on both sides.
 */
import * as fs from 'fs';
import * as path from 'path';

const SRC = path.resolve(__dirname, '..');

/** Every .ts/.tsx file under `dir`, tests excepted. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return entry.name === '__tests__' ? [] : sources(p);
    }
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')
      ? [p]
      : [];
  });
}

/** The file a relative module specifier names, as TypeScript resolves it. */
function resolve(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  const found = ['.ts', '.tsx', '/index.ts', '/index.tsx']
    .map(ext => base + ext)
    .find(p => fs.existsSync(p));
  if (!found) {
    throw new Error(`${from}: cannot resolve '${spec}'`);
  }
  return found;
}

/** src-relative file → the src files it imports or re-exports from. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    const specs = [
      ...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']*)'/gm)
    ].map(m => m[1]);
    graph.set(
      path.relative(SRC, file),
      specs.map(s => path.relative(SRC, resolve(file, s)))
    );
  }
  return graph;
}

/** Each cycle once, as the path that closes it (`a -> b -> a`). */
function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 'open') {
        found.push([...stack.slice(stack.indexOf(dep)), dep].join(' -> '));
      } else if (!state.has(dep)) {
        visit(dep);
      }
    }
    stack.pop();
    state.set(file, 'done');
  };
  [...graph.keys()].sort().forEach(f => state.has(f) || visit(f));
  return found;
}

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('is read from the real sources', () => {
    // Known edges, so that a reader that finds nothing cannot pass below.
    expect(graph.get('index.ts')).toContain('registry.ts');
    expect(graph.get('registry.ts')).toContain('connection.ts');
    expect(graph.get('model.ts')).toContain(path.join('model', 'rows.ts'));
    expect(graph.get('protocol.ts')).toContain(
      path.join('protocol', 'guards.ts')
    );
    expect(graph.get(path.join('views', 'detail.tsx'))).toContain(
      path.join('views', 'heatmap.tsx')
    );
    expect(graph.size).toBeGreaterThan(40);
  });

  it('has no cycles', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('would show a cycle', () => {
    const looped = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']]
    ]);
    expect(cycles(looped)).toEqual(['a.ts -> b.ts -> c.ts -> a.ts']);
  });
});
