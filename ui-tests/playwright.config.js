/**
 * Playwright configuration for the eager-lab integration tests: galata's defaults, run in
 * Debian's Chromium against a real JupyterLab started from the repository's .venv.
 *
 * Never run `playwright install`: its browser download is not reachable on our machines.
 * The browser is the system Chromium (`apt-get install chromium`), or CHROMIUM_PATH.
 */
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.EAGER_LAB_UI_PORT || '8765';
// Notebook 7 is a supported frontend too: its tests (notebook7/) run against a second
// server started with `jupyter notebook`.
const notebookPort = process.env.EAGER_LAB_NOTEBOOK_PORT || '8766';
const repo = path.resolve(__dirname, '..');
// The JupyterLab under test is the one installed with eager_lab in the repository's .venv
// (its kernels run that venv's python, so `%load_ext eager_lab` works there).
const jupyter =
  process.env.JUPYTER || path.join(repo, '.venv', 'bin', 'jupyter');

module.exports = {
  ...baseConfig,
  projects: [
    {
      name: 'jupyterlab',
      // The 100,000-tensor benchmark runs instead of the tests with EAGER_LAB_BENCHMARK=1.
      testDir: process.env.EAGER_LAB_BENCHMARK ? './benchmark' : './tests'
    },
    ...(process.env.EAGER_LAB_BENCHMARK
      ? []
      : [
          {
            name: 'notebook7',
            testDir: './notebook7',
            use: { baseURL: `http://127.0.0.1:${notebookPort}` }
          }
        ])
  ],
  // One JupyterLab server, one kernel per notebook, 2 cores: tests run one at a time.
  workers: 1,
  timeout: 120 * 1000,
  expect: { timeout: 30 * 1000 },
  retries: process.env.CI ? 1 : 0,
  reporter: [
    ['list'],
    ['json', { outputFile: 'test-results/results.json' }],
    ['html', { open: 'never', outputFolder: 'playwright-report' }]
  ],
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${port}`,
    // galata records videos by default, which needs Playwright's own ffmpeg download.
    video: 'off',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium'
    }
  },
  webServer: [
    {
      command: `"${jupyter}" lab --config jupyter_server_test_config.py`,
      url: `http://127.0.0.1:${port}/lab`,
      timeout: 120 * 1000,
      reuseExistingServer: !process.env.CI,
      env: {
        ...process.env,
        EAGER_LAB_UI_PORT: port,
        TF_CPP_MIN_LOG_LEVEL: '2'
      }
    },
    ...(process.env.EAGER_LAB_BENCHMARK
      ? []
      : [
          {
            command: `"${jupyter}" notebook --config jupyter_server_test_config.py`,
            url: `http://127.0.0.1:${notebookPort}/tree`,
            timeout: 120 * 1000,
            reuseExistingServer: !process.env.CI,
            env: {
              ...process.env,
              EAGER_LAB_UI_PORT: notebookPort,
              TF_CPP_MIN_LOG_LEVEL: '2'
            }
          }
        ])
  ]
};
