/**
 * What the docs tell users to click is what the frontend shows.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SHOW_PANEL_LABEL } from '../commands';

const ROOT = path.resolve(__dirname, '../..');

describe('docs', () => {
  it('the README names the palette command as the palette shows it', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const named = /command\s+palette:\s+\*([^*]+)\*/.exec(readme);
    expect(named?.[1]).toBe(SHOW_PANEL_LABEL);
  });

  it('the demo notebook names it the same way', () => {
    const demo = fs.readFileSync(
      path.join(ROOT, 'examples', 'demo.ipynb'),
      'utf8'
    );
    expect(demo).not.toMatch(/Show Eager Tensors/);
  });
});
