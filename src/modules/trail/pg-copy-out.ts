import type { Readable } from 'node:stream';

// Backend messages (PostgreSQL protocol, "Message Formats"): one type byte, then a 32-bit length that
// counts itself.
const COPY_DATA = 0x64; // d
const COPY_OUT_RESPONSE = 0x48; // H
// May arrive at any time, COPY or not; they carry nothing this reader needs.
const ASYNCHRONOUS = new Set([0x4e /* N notice */, 0x53 /* S parameter status */, 0x41 /* A notification */]);
const HEADER = 5;

/** Receives the COPY's data: byte runs of any size, in order. False: stop, nothing more is wanted. */
export type CopySink = (data: Buffer) => boolean;

interface PgConnection {
  readonly stream: Readable;
  query(text: string): void;
}

/**
 * A node-postgres "submittable" (the interface pg-cursor uses) for `COPY ... TO STDOUT` that reads the
 * socket itself while the COPY runs. node-postgres would parse every row into a message object and copy
 * it; here each socket chunk is compacted in place to its CopyData payloads and handed over whole, so
 * reading ten million rows costs ten thousand calls, not ten million. Everything that is not COPY data
 * (the end of the COPY, an error) goes back to node-postgres's own parser with the socket.
 */
export class CopyOutQuery {
  readonly #text: string;
  readonly #sink: CopySink;
  readonly #settled: Promise<void>;
  #resolve: () => void = () => {};
  #reject: (error: Error) => void = () => {};
  #stream: Readable | null = null;
  #pgOnData: ((chunk: Buffer) => void) | null = null;
  // Bytes of a message header cut off at the end of a chunk.
  #header: Buffer | null = null;
  // Bytes still to come of the current message: payload to keep (CopyData) or to skip.
  #remaining = 0;
  #keeping = false;
  #done = false;

  constructor(text: string, sink: CopySink) {
    this.#text = text;
    this.#sink = sink;
    this.#settled = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Settles when the COPY ended, failed, or the sink stopped it (the caller then closes the connection). */
  get finished(): Promise<void> {
    return this.#settled;
  }

  submit(connection: PgConnection): void {
    const stream = connection.stream;
    const listeners = stream.listeners('data') as ((chunk: Buffer) => void)[];
    if (listeners.length !== 1) throw new Error('copy: the connection has an unexpected reader');
    this.#stream = stream;
    this.#pgOnData = listeners[0] ?? null;
    if (this.#pgOnData) stream.removeListener('data', this.#pgOnData);
    stream.on('data', this.#onData);
    connection.query(this.#text);
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#done) return;
    let buf = chunk;
    if (this.#header) {
      buf = Buffer.concat([this.#header, chunk]);
      this.#header = null;
    }
    let at = 0;
    let kept = 0;
    const end = buf.length;
    while (at < end) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, end - at);
        if (this.#keeping) {
          if (kept !== at) buf.copyWithin(kept, at, at + n);
          kept += n;
        }
        at += n;
        this.#remaining -= n;
        continue;
      }
      if (end - at < HEADER) {
        this.#header = Buffer.from(buf.subarray(at));
        break;
      }
      const type = buf[at] as number;
      const length = buf.readInt32BE(at + 1) - 4;
      if (type === COPY_DATA || type === COPY_OUT_RESPONSE || ASYNCHRONOUS.has(type)) {
        this.#keeping = type === COPY_DATA;
        this.#remaining = length;
        at += HEADER;
        continue;
      }
      // CopyDone, an error, or anything else: node-postgres takes it from here (a CopyDone included, which
      // it ignores); the data kept so far goes to the sink first.
      if (kept > 0) this.#sink(buf.subarray(0, kept));
      this.#handBack(buf.subarray(at));
      return;
    }
    if (kept > 0 && !this.#sink(buf.subarray(0, kept))) {
      this.#done = true;
      this.#resolve();
    }
  };

  #handBack(rest: Buffer): void {
    this.#done = true;
    const stream = this.#stream;
    const pgOnData = this.#pgOnData;
    if (!stream || !pgOnData) return;
    stream.removeListener('data', this.#onData);
    stream.on('data', pgOnData);
    if (rest.length > 0) pgOnData(rest);
  }

  handleCommandComplete(): void {}
  handleReadyForQuery(): void {
    this.#resolve();
  }
  handleError(error: Error): void {
    this.#reject(error);
  }
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
  handleCopyData(): void {}
}
