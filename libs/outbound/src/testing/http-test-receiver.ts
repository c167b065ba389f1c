import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  at: number;
}

type Reply = { status: number; body?: unknown };

/**
 * A real HTTP receiver on 127.0.0.1 that records every request. Replies come from a queue
 * (`replyNext(500, 500)`), then the default (200 with {"id": "msg-<n>"}).
 */
export class HttpTestReceiver {
  readonly requests: ReceivedRequest[] = [];
  private replies: Reply[] = [];
  private server!: Server;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          rawBody: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        const reply = this.replies.shift() ?? { status: 200, body: { id: `msg-${this.requests.length}` } };
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body ?? {}));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  replyNext(...statuses: number[]): void {
    this.replies.push(...statuses.map((status) => ({ status })));
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
