import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the worker says of itself: whether it runs, what it leads and what it waits for. */
export interface WorkerHealth {
  ok: boolean;
  body: Record<string, unknown>;
}

/**
 * The worker's GET /health (WORKER_HEALTH_PORT): a plain node:http server, since the worker is a Nest
 * application context without HTTP. 200 with the probe's body when it is ok, 503 otherwise.
 */
export class WorkerHealthServer {
  private readonly server: http.Server;

  constructor(private readonly probe: () => WorkerHealth) {
    this.server = http.createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/health') {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
        return;
      }
      const { ok, body } = this.probe();
      response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...body }));
    });
  }

  /** Listens on `port` (0: any free one); resolves with the port. */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
