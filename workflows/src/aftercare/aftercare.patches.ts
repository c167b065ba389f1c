/**
 * The aftercare's patched() ids, each guarding a change of the commands it issues so that runs started
 * by earlier code still replay. Never renamed or reused.
 *  - `aftercare-settles` (issue 18): the run's own command answers are applied even when the stream has
 *    an event it was never signalled in between (a person's note, the process's SLA records): it reads
 *    the stream then, before deciding anything on them. Without it, a run whose due times had all
 *    passed (downtime) never saw its own reminder note and sent the reminder again every ~100 ms, and
 *    never saw its follow-up recorded, so it skipped the answer window. Also: effects that fell due
 *    together go out in the order they were due, and a reminder is sent once per promised date.
 */
export const AFTERCARE_PATCHES = { settles: 'aftercare-settles' } as const;

/** The history of a long aftercare (months of timers) stays small; past this many events the run continues as new. */
export const AFTERCARE_HISTORY_LIMIT = 2_000;
