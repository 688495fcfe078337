#!/usr/bin/env node
import { describeError } from './errors.js';
import { program } from './cli/commands.js';

// The CLI entry: one run, one catch that turns a failure into a message and exit code 1.
async function run(): Promise<void> {
  try {
    await program().parseAsync(process.argv);
  } catch (error) {
    process.stderr.write(`umlenv: ${describeError(error)}\n`);
    process.exitCode = 1;
  }
}

void run();
