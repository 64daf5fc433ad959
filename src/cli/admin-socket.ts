import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Container } from '../container.ts';
import { type OperatorCommand, type Progress, runOperatorCommand } from './operator-commands.ts';

const SOCKET_NAME = 'admin.sock';
// Operator payloads are small (a seed count, a staff e-mail); anything bigger is refused unread.
const MAX_REQUEST_BYTES = 64 * 1024;

export function adminSocketPath(dataDir: string): string {
  return path.join(dataDir, SOCKET_NAME);
}

/**
 * A local control channel for operator commands while the server runs. It is a Unix socket in the data
 * directory with mode 0600: only the account that runs Bulwark can reach it, and it never listens on TCP.
 */
export async function listenAdminSocket(container: Container): Promise<() => Promise<void>> {
  const { dataDir } = container.config;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = adminSocketPath(dataDir);
  if (await answers(file)) {
    // Another live server on this host owns the socket (several PostgreSQL nodes, one data directory):
    // leave it; operator commands reach that node.
    process.stderr.write(
      `bulwark: ${file} belongs to another running server; this one has no admin socket\n`,
    );
    return async () => {};
  }
  fs.rmSync(file, { force: true });
  const server = http.createServer((request, response) => {
    void handle(container, request, response);
  });
  // The socket is born 0600: there is no moment in which another local user could connect.
  const previousMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => resolve());
    });
  } finally {
    process.umask(previousMask);
  }
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      fs.rmSync(file, { force: true });
    });
}

function answers(file: string): Promise<boolean> {
  if (!fs.existsSync(file)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = net.connect(file);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function handle(container: Container, request: http.IncomingMessage, response: http.ServerResponse) {
  // The answer is NDJSON: progress lines while the work runs, then one line with the result or error.
  const line = (body: unknown) => response.write(`${JSON.stringify(body)}\n`);
  try {
    if (request.method !== 'POST' || request.url !== '/command') {
      response.writeHead(404, { 'content-type': 'application/x-ndjson' });
      return response.end(`${JSON.stringify({ error: 'unknown endpoint' })}\n`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_REQUEST_BYTES) {
        response.writeHead(413, { 'content-type': 'application/x-ndjson' });
        return response.end(`${JSON.stringify({ error: 'request too large' })}\n`);
      }
      chunks.push(chunk as Buffer);
    }
    const command = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OperatorCommand;
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    line({ result: await runOperatorCommand(container, command, (progress) => line({ progress })) });
  } catch (error) {
    if (!response.headersSent) response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    line({ error: error instanceof Error ? error.message : 'command failed' });
  }
  response.end();
}

/** Sends a command to a running server; null when no server is listening on the socket. */
export async function sendToRunningServer(
  dataDir: string,
  command: OperatorCommand,
  onProgress: Progress = () => {},
): Promise<{ result: unknown } | null> {
  const file = adminSocketPath(dataDir);
  if (!fs.existsSync(file)) return null;
  return new Promise((resolve, reject) => {
    const request = http.request(
      { socketPath: file, path: '/command', method: 'POST', headers: { 'content-type': 'application/json' } },
      (response) => {
        let buffered = '';
        let settled = false;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffered += chunk;
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            const message = JSON.parse(buffered.slice(0, newline)) as {
              progress?: Parameters<Progress>[0];
              result?: unknown;
              error?: string;
            };
            buffered = buffered.slice(newline + 1);
            if (message.progress) onProgress(message.progress);
            else if (message.error !== undefined) {
              settled = true;
              reject(new Error(message.error));
            } else {
              settled = true;
              resolve({ result: message.result });
            }
            newline = buffered.indexOf('\n');
          }
        });
        response.on('end', () => {
          if (!settled) reject(new Error('the server closed the admin connection without an answer'));
        });
      },
    );
    // A socket file left by a crashed server: nobody answers, so the command runs locally instead.
    request.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? resolve(null) : reject(error),
    );
    request.end(JSON.stringify(command));
  });
}
