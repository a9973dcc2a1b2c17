/** One thing a simulated build publishes: a log entry (one or more lines) or a progress report. */
export type BuildAction = { kind: 'log'; text: string } | { kind: 'progress'; percent: number; step: string };

/** The steps of every build, in order; progress reaches `20 × index` % as each starts. */
export const BUILD_STEPS = ['install', 'lint', 'test', 'build', 'deploy'] as const;

/** Lines of a log entry as a client counts them: split on every line break SSE knows. */
export function countLines(text: string): number {
  return text.split(/\r\n|\r|\n/).length;
}

/**
 * What a build of `id` prints, step by step. Some entries span several lines
 * (an npm warning pair, a compiler warning with its code frame, a failing
 * test's stack trace, a size table with a blank line), so a client sees
 * multi-line `data:` in SSE. A failed build stops after the test step.
 */
export function buildScript(id: string, outcome: 'passed' | 'failed'): BuildAction[] {
  const log = (text: string): BuildAction => ({ kind: 'log', text });
  const steps: Record<(typeof BUILD_STEPS)[number], BuildAction[]> = {
    install: [
      log('$ npm ci'),
      log(
        'npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.\n' +
          'npm warn deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported',
      ),
      log('added 412 packages, and audited 413 packages in 6s'),
    ],
    lint: [
      log('$ npm run lint'),
      log(
        "src/cart/total.ts(42,7): warning TS6133: 'discount' is declared but its value is never read.\n" +
          '  42 |   const discount = order.coupon?.rate ?? 0;\n' +
          '     |         ^^^^^^^^',
      ),
      log('✔ lint passed with 1 warning'),
    ],
    test: [
      log('$ npm test'),
      log('▶ cart'),
      log('  ✔ adds an item (3 ms)'),
      log('  ✔ applies a coupon (2 ms)'),
      outcome === 'passed'
        ? log('  ✔ rounds the total to cents (4 ms)')
        : log(
            '  ✖ rounds the total to cents (4 ms)\n' +
              '    AssertionError: expected 10.005 to equal 10.01\n' +
              '        at TestContext.<anonymous> (test/cart.test.ts:57:12)\n' +
              '        at async Test.run (node:internal/test_runner/test:1054:7)',
          ),
      log(outcome === 'passed' ? '✔ 3 tests passed' : '✖ 1 of 3 tests failed'),
    ],
    build: [
      log('$ npm run build'),
      log('vite v7.1.0 building for production...'),
      log('✓ 1243 modules transformed.'),
      log(
        'dist/index.html                  0.46 kB\n' +
          'dist/assets/index-4f9a1c.css    12.31 kB\n' +
          '\n' +
          'dist/assets/index-9b2e7d.js    143.92 kB │ gzip: 46.12 kB',
      ),
    ],
    deploy: [
      log('$ ./deploy.sh --env preview'),
      log('Uploading 3 files…'),
      log(`✔ Deployed build ${id} to https://preview.example.test/${id}`),
    ],
  };

  const actions: BuildAction[] = [];
  for (const [index, step] of BUILD_STEPS.entries()) {
    actions.push({ kind: 'progress', percent: index * 20, step }, ...steps[step]);
    if (outcome === 'failed' && step === 'test') {
      actions.push(log(`Build ${id} failed at step "test".`));
      return actions;
    }
  }
  actions.push({ kind: 'progress', percent: 100, step: 'deploy' });
  return actions;
}
