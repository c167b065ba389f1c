// Workflow history figures for `npm run bench` (issue 18): the largest workflow history and the
// durations of workflow tasks (WorkflowTaskStarted -> WorkflowTaskCompleted: the time a worker took for
// the task) over the bench's workflows, read with the Temporal client from the project's own
// node_modules. Target: no task over 1 s on a quiet machine. Tasks that timed out (a worker died with
// them: WorkflowTaskStarted -> WorkflowTaskTimedOut) or failed are counted apart.
import { createRequire } from 'node:module';
import path from 'node:path';
import { ms, summarize } from './stats.mjs';

export const TASK_TARGET = { maxTaskMs: 1000 };

const millis = (ts) => (ts ? Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6) : undefined);

/**
 * Reads the histories of (at most `limit`) workflows of the namespace, newest first, `concurrency` at a
 * time. Returns the largest history, every task's duration summarized, and the slowest tasks.
 */
export async function workflowTaskFigures({ root, address, namespace = 'default', limit = 2000, concurrency = 8, say = () => {} }) {
  const { Connection, WorkflowClient } = createRequire(path.join(root, 'package.json'))('@temporalio/client');
  const connection = await Connection.connect({ address });
  try {
    const client = new WorkflowClient({ connection, namespace });
    const executions = [];
    for await (const execution of client.list()) {
      executions.push({ workflowId: execution.workflowId, runId: execution.runId, type: execution.type });
      if (executions.length >= limit) break;
    }
    const durations = [];
    let timedOut = 0;
    let failed = 0;
    const slowest = [];
    let largest = { events: 0 };
    let read = 0;
    let lastSay = Date.now();
    const queue = [...executions];
    await Promise.all(
      Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const history = await client.getHandle(next.workflowId, next.runId).fetchHistory();
          const events = history.events ?? [];
          if (events.length > largest.events) largest = { events: events.length, workflowId: next.workflowId, type: next.type };
          const started = new Map();
          for (const event of events) {
            const id = Number(event.eventId);
            if (event.workflowTaskStartedEventAttributes) started.set(id, millis(event.eventTime));
            if (event.workflowTaskTimedOutEventAttributes) timedOut++;
            if (event.workflowTaskFailedEventAttributes) failed++;
            const end = event.workflowTaskCompletedEventAttributes;
            const startedAt = end?.startedEventId !== undefined ? started.get(Number(end.startedEventId)) : undefined;
            if (startedAt !== undefined) {
              const duration = millis(event.eventTime) - startedAt;
              durations.push(duration);
              if (duration > TASK_TARGET.maxTaskMs) slowest.push({ workflowId: next.workflowId, eventId: id, ms: duration });
            }
          }
          read++;
          if (Date.now() - lastSay > 5000) {
            say(`[tasks] read ${read} of ${executions.length} histories`);
            lastSay = Date.now();
          }
        }
      }),
    );
    slowest.sort((a, b) => b.ms - a.ms);
    return { workflows: executions.length, largest, tasks: summarize(durations), overTarget: slowest.length, slowest: slowest.slice(0, 5), timedOut, failed };
  } finally {
    await connection.close();
  }
}

/** The figures as lines of the bench's output. */
export function describeTaskFigures(f) {
  return [
    `workflow histories read: ${f.workflows}; largest: ${f.largest.events} events (${f.largest.type ?? '-'} ${f.largest.workflowId ?? ''})`,
    `workflow task durations (${f.tasks.count} completed tasks): p50 ${ms(f.tasks.p50)}, p99 ${ms(f.tasks.p99)}, max ${ms(f.tasks.max)}; over ${TASK_TARGET.maxTaskMs} ms: ${f.overTarget}` +
      (f.slowest.length ? ` (slowest: ${f.slowest.map((s) => `${s.workflowId}#${s.eventId} ${ms(s.ms, 0)}`).join(', ')})` : ''),
    `workflow tasks timed out: ${f.timedOut} (a worker died holding them, or took longer than the task timeout); failed: ${f.failed}`,
  ];
}
