/**
 * One version everywhere: package.json, the frontend's hello, the Python package.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PACKAGE_VERSION } from '../version';

const ROOT = path.resolve(__dirname, '../..');

it('matches package.json and eager_lab.__version__', () => {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')
  );
  const init = fs.readFileSync(
    path.join(ROOT, 'eager_lab', '_version.py'),
    'utf8'
  );
  const python = /^__version__\s*=\s*["']([^"']+)["']/m.exec(init)?.[1];
  expect(pkg.version).toBe(PACKAGE_VERSION);
  expect(python).toBe(PACKAGE_VERSION);
});
