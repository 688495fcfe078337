// The runner's entry for the main step (dist/action-main.js); local-action imports main.ts itself.
import { run } from './main.js';

void run();
