// A verification worker thread's first module. Sources are TypeScript run through tsx (bin/bulwark.js),
// and a parent's loader does not carry over to worker threads: this registers tsx's, then loads the worker.
import { register } from 'tsx/esm/api';

register();
await import('./verify-range.worker.ts');
