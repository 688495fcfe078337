// The runner's entry for the post step (dist/action-post.js); local-action imports post.ts itself.
import { run } from './post.js';

void run();
