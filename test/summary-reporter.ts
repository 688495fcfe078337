import type { Reporter, TestModule } from 'vitest/node';

/** Ends a run with one plain "N passed, N failed, N skipped" line that any CI log reader understands. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0 };
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed' || state === 'failed' || state === 'skipped') count[state]++;
      }
      if (m.state() === 'failed' && ![...m.children.allTests()].length) count.failed++;
    }
    process.stdout.write(
      `\n${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped\n`,
    );
  }
}
