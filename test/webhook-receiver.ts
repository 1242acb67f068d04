// A local webhook receiver for tests: records every request (headers, raw body) by path, and answers as the test
// says — a status, or `hold` (never answers: the sender's worker is killed meanwhile).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export type Answer = number | 'hold';

export interface WebhookReceiver {
  /** `<base>/<name>`: one URL per endpoint of the test. */
  url(name: string): string;
  /** Requests received at `/<name>`, in order. */
  received(name: string): ReceivedWebhook[];
  /** How `/<name>` answers its n-th request (0-based); default 204. */
  answer(name: string, answer: (n: number) => Answer): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  const answers = new Map<string, (n: number) => Answer>();
  const held = new Set<ServerResponse>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const path = (request.url ?? '/').slice(1);
      const n = requests.filter((r) => r.path === path).length;
      requests.push({ path, headers: request.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const answer = answers.get(path)?.(n) ?? 204;
      if (answer === 'hold') {
        held.add(response);
        response.once('close', () => held.delete(response));
        return;
      }
      response.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (name) => `${base}/${name}`,
    received: (name) => requests.filter((r) => r.path === name),
    answer: (name, answer) => { answers.set(name, answer); },
    async close() {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
