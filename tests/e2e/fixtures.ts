import { test as base, expect } from '@playwright/test';

/**
 * Every e2e test runs through this `test`: it fails the test when a page reports a
 * Content-Security-Policy violation, so a policy that blocks one of our own scripts,
 * styles or connections can never ship unnoticed.
 */
export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ context }, use) => {
      const violations: string[] = [];
      await context.exposeBinding('__reportCspViolation', (_source, report: string) => {
        violations.push(report);
      });
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
          const report = `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`;
          (window as unknown as { __reportCspViolation(report: string): void }).__reportCspViolation(report);
        });
      });
      await use(violations);
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
