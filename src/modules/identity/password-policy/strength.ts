import { Worker } from 'node:worker_threads';
import { normalisePassword } from './normalise.ts';

/** zxcvbn's scale: 0 too guessable … 4 very unguessable. 3 is "safely unguessable" (~10^8 guesses up). */
export const MIN_STRENGTH_SCORE = 3;

/** Words an attacker who targets Bulwark tries first, whoever the user is. */
const SITE_WORDS = ['bulwark', 'shopping', 'agent', 'taobao', 'tmall', 'weidian', 'pandabuy'];

export interface Strength {
  readonly score: number;
  /** zxcvbn's reason, in English, when there is one ("This is similar to a commonly used password."). */
  readonly warning: string | null;
  readonly suggestions: readonly string[];
}

/**
 * zxcvbn's work is capped for a public sign-up route: only the first 64 characters are analysed (a
 * longer password whose first 64 are guessable is still refused) and l33t substitutions stop at 10,
 * which takes a hostile 128-character "p@ssw0rd…" from about a second to tens of milliseconds.
 */
const ZXCVBN_LIMITS = { maxLength: 64, l33tMaxSubstitutions: 10 };

/** Far above any capped estimate; reaching it means the worker is stuck, so it is replaced. */
const ESTIMATE_TIMEOUT_MS = 10_000;

interface Pending {
  readonly resolve: (strength: Strength) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface Running {
  readonly thread: Worker;
  readonly pending: Map<number, Pending>;
}

/**
 * One worker thread scores passwords, so an estimate (up to tens of milliseconds, more for hostile
 * input) never stalls the event loop that serves every other request. Started on first use; it keeps
 * the process alive only while an estimate is awaited.
 */
class StrengthWorker {
  #running: Running | null = null;
  #nextId = 0;

  estimate(password: string, userInputs: readonly string[]): Promise<Strength> {
    const running = this.#start();
    const id = this.#nextId++;
    return new Promise<Strength>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#fail(running, new Error('the strength estimate timed out')),
        ESTIMATE_TIMEOUT_MS,
      );
      // Held while an estimate is awaited (a CLI command must not exit under it), released when idle.
      if (running.pending.size === 0) running.thread.ref();
      running.pending.set(id, { resolve, reject, timer });
      running.thread.postMessage({ id, password, userInputs });
    });
  }

  #start(): Running {
    if (this.#running) return this.#running;
    const thread = new Worker(new URL('./strength.worker.mjs', import.meta.url), {
      workerData: ZXCVBN_LIMITS,
    });
    const running: Running = { thread, pending: new Map() };
    thread.on('message', (message: Strength & { id: number }) => {
      const pending = running.pending.get(message.id);
      if (!pending) return;
      running.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (running.pending.size === 0) thread.unref();
      const { score, warning, suggestions } = message;
      pending.resolve({ score, warning, suggestions });
    });
    thread.on('error', (error) => this.#fail(running, error));
    thread.on('exit', () => this.#fail(running, new Error('the strength worker exited')));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    thread.unref();
    this.#running = running;
    return running;
  }

  /** Fails the estimates waiting on `running` and drops it; the next estimate starts a fresh worker. */
  #fail(running: Running, error: Error): void {
    if (this.#running === running) this.#running = null;
    for (const pending of running.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    running.pending.clear();
    void running.thread.terminate();
  }
}

const worker = new StrengthWorker();

/**
 * The user's own words, lower case: each input whole, an e-mail's local part, and each letter and
 * digit run of three or more ("alice.smith@example.com" also yields "alice", "smith" and "example").
 */
function ownWords(inputs: readonly string[]): Set<string> {
  const words = new Set<string>();
  for (const input of inputs) {
    const folded = normalisePassword(input).trim();
    if (folded.length === 0) continue;
    words.add(folded);
    const at = folded.lastIndexOf('@');
    if (at > 0) words.add(folded.slice(0, at));
    for (const part of folded.split(/[^\p{L}\p{N}]+/u)) if (part.length >= 3) words.add(part);
  }
  return words;
}

/** zxcvbn's user dictionary: the words of this site, then the user's own. */
export function userDictionary(inputs: readonly string[]): string[] {
  return [...new Set([...SITE_WORDS, ...ownWords(inputs)])];
}

/**
 * Whether the password's letters are nothing but the user's own words run together ("kowalska.alice"
 * for Alice Kowalska, "Alice1990!"): zxcvbn scores such joins by rank alone and can pass them, but a
 * targeted attacker tries them first. Digits and symbols between the words do not help.
 */
export function isBuiltFromUserWords(password: string, userInputs: readonly string[]): boolean {
  const letters = normalisePassword(password).replace(/[^\p{L}]+/gu, '');
  if (letters.length === 0) return false;
  const words = new Set<string>();
  for (const word of ownWords(userInputs)) {
    for (const part of word.split(/[^\p{L}]+/u)) if (part.length >= 3) words.add(part);
  }
  if (words.size === 0) return false;
  // Word break by dynamic programming: joinable[i] says letters[0, i) splits into the user's words.
  // At most 128 × 128 slices, since the length limit is checked first.
  const joinable = new Array<boolean>(letters.length + 1).fill(false);
  joinable[0] = true;
  for (let end = 1; end <= letters.length; end += 1) {
    for (let start = 0; start < end && !joinable[end]; start += 1) {
      if (joinable[start] && words.has(letters.slice(start, end))) joinable[end] = true;
    }
  }
  return joinable[letters.length] === true;
}

/**
 * zxcvbn's estimate of how guessable the password is for someone who knows `userInputs`, computed in
 * the worker thread. Rejects only if the worker fails or stalls.
 */
export function estimateStrength(password: string, userInputs: readonly string[]): Promise<Strength> {
  return worker.estimate(password, userDictionary(userInputs));
}
