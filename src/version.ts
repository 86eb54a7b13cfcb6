/**
 * The package version this frontend sends in `hello`: equal to package.json's
 * version and to `eager_lab.__version__` (src/__tests__/version.spec.ts).
 */
export const PACKAGE_VERSION = '0.1.0';
