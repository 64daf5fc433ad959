import { parentPort } from 'node:worker_threads';
import { type RangeJob, verifyRange } from './verify-range.ts';

// A worker thread's loop: walks each range it is sent, reporting progress and then the range's result.
const port = parentPort;
port?.on('message', (job: RangeJob) => {
  verifyRange(job, (rows) => port.postMessage({ progress: rows })).then(
    (result) => port.postMessage({ result }),
    (error: unknown) => port.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
});
