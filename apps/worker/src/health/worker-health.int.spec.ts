import { LocalCoordination } from '@app/coordination';
import { WorkerHealthServer } from './worker-health.server';

describe('the worker GET /health (WORKER_HEALTH_PORT)', () => {
  it('answers 200 with what the worker leads, 503 when its Temporal worker is not running, 404 elsewhere', async () => {
    const coordination = new LocalCoordination();
    coordination.lead('workflow-dispatcher', { start: () => undefined, stop: () => undefined });
    let running = true;
    const server = new WorkerHealthServer(() => ({ ok: running, body: { worker: running ? 'RUNNING' : 'STOPPED', ...coordination.status() } }));
    const port = await server.listen(0);
    try {
      const healthy = await fetch(`http://127.0.0.1:${port}/health`);
      expect(healthy.status).toBe(200);
      expect(await healthy.json()).toEqual({ status: 'ok', worker: 'RUNNING', leads: ['workflow-dispatcher'], waitingFor: [] });
      running = false;
      const down = await fetch(`http://127.0.0.1:${port}/health`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ status: 'unavailable', worker: 'STOPPED' });
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      await server.close();
      await coordination.close();
    }
  });
});
