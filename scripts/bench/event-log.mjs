// Read-only views of the product's SQLite files (layout: libs/event-store/src/sqlite.event-store.ts,
// libs/read-models/src/read-model.database.ts), opened with the project's own better-sqlite3.
import { createRequire } from 'node:module';
import path from 'node:path';

const FIRST_STEP = 'record-complaint';
const DEPENDENT_STEP = 'confirm-understanding';

export function openEventLog(root, dataDir) {
  const Database = createRequire(path.join(root, 'package.json'))('better-sqlite3');
  const events = new Database(path.join(dataDir, 'events.sqlite'), { readonly: true, fileMustExist: true });
  const readModels = new Database(path.join(dataDir, 'read-models.sqlite'), { readonly: true, fileMustExist: true });

  const lastPosition = events.prepare('SELECT coalesce(max(position), 0) FROM events').pluck();
  const countInRange = events.prepare(
    `SELECT
       coalesce(sum(type = 'ServiceCallOpened'), 0) AS opened,
       coalesce(sum(type = 'StepReady' AND json_extract(data, '$.stepKey') = '${FIRST_STEP}'), 0) AS firstReady
     FROM events WHERE position > ? AND position <= ?`,
  );
  const checkpoint = readModels.prepare('SELECT position FROM checkpoints WHERE name = ?').pluck();
  const streamSteps = events.prepare(
    `SELECT position, type, json_extract(data, '$.stepKey') AS stepKey, recorded_at AS recordedAt
     FROM events WHERE stream_id = ? AND type IN ('StepCompleted', 'StepReady') ORDER BY position`,
  );
  const openToReady = events.prepare(
    `SELECT o.recorded_at AS openedAt, r.recorded_at AS readyAt
     FROM events o
     JOIN events r ON r.stream_id = o.stream_id AND r.type = 'StepReady' AND json_extract(r.data, '$.stepKey') = '${FIRST_STEP}'
     WHERE o.type = 'ServiceCallOpened' AND o.position > ? AND o.position <= ?`,
  );

  // running totals, advanced incrementally so that polling stays cheap on a growing log
  let counted = 0;
  const totals = { opened: 0, firstReady: 0 };

  return {
    /** the read-model file itself, for one-off queries */
    readModels,
    journalMode: () => events.pragma('journal_mode', { simple: true }),
    lastPosition: () => lastPosition.get(),
    eventCount: () => events.prepare('SELECT count(*) FROM events').pluck().get(),
    /** calls opened so far, and how many of them the workflows have taken to their first READY step */
    progress() {
      const upTo = lastPosition.get();
      if (upTo > counted) {
        const c = countInRange.get(counted, upTo);
        totals.opened += c.opened;
        totals.firstReady += c.firstReady;
        counted = upTo;
      }
      return { ...totals, position: counted };
    },
    /** how far the projector (API) and the workflow dispatcher (worker) have read the log */
    checkpoints: () => ({
      projector: checkpoint.get('read-models') ?? 0,
      dispatcher: checkpoint.get('workflow-dispatcher') ?? 0,
    }),
    /**
     * For one call: the StepCompleted of the first step and the StepReady of its dependent, as
     * recorded by the store (recorded_at has millisecond resolution).
     */
    completionToDependentReady(callId) {
      const rows = streamSteps.all(`ServiceCall-${callId}`);
      const completed = rows.find((r) => r.type === 'StepCompleted' && r.stepKey === FIRST_STEP);
      const ready = rows.find((r) => r.type === 'StepReady' && r.stepKey === DEPENDENT_STEP);
      if (!completed || !ready) return undefined;
      return {
        ms: Date.parse(ready.recordedAt) - Date.parse(completed.recordedAt),
        eventsBetween: ready.position - completed.position - 1, // other appends in between (global log)
      };
    },
    /** open -> first step READY for every call opened in (fromPosition, toPosition] (ms, store clock) */
    openToFirstReady(fromPosition, toPosition) {
      return openToReady.all(fromPosition, toPosition).map((r) => Date.parse(r.readyAt) - Date.parse(r.openedAt));
    },
    close() {
      events.close();
      readModels.close();
    },
  };
}

export { DEPENDENT_STEP, FIRST_STEP };
