import type { Pool } from 'pg';

/**
 * The PostgreSQL event store's schema, in its own PostgreSQL schema (`event_store`) so it can share a
 * database with the read models. Migrations are numbered, applied in order at start under an advisory
 * lock (several processes may start at once) and recorded in event_store.migrations; a database
 * migrated by a newer release is refused rather than written with old assumptions.
 */
export const SCHEMA = 'event_store';

interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'streams, events, identity, append()',
    sql: `
      CREATE TABLE event_store.streams (
        stream_id text   PRIMARY KEY,
        version   bigint NOT NULL,
        -- global position of the stream's last event (what an empty append reports)
        position  bigint NOT NULL
      );

      -- CACHE 1 is required, not a tuning choice: positions must be handed out in time order across
      -- sessions for the gap rule of the readers (see postgres.event-store.ts) to hold.
      CREATE TABLE event_store.events (
        position       bigint      GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY,
        stream_id      text        NOT NULL,
        stream_version bigint      NOT NULL,
        type           text        NOT NULL,
        -- json, not jsonb: stored as written, so data and metadata read back exactly (key order too)
        data           json        NOT NULL,
        metadata       json        NOT NULL,
        recorded_at    timestamptz NOT NULL DEFAULT statement_timestamp(),
        CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
      );

      -- Which event store this is: written once, when the schema is created (see EventStore.identity()).
      CREATE TABLE event_store.identity (
        one_row    boolean     PRIMARY KEY DEFAULT true CHECK (one_row),
        store_id   uuid        NOT NULL DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO event_store.identity DEFAULT VALUES;

      -- One append, atomically, as one statement (one round trip). p_expected: NULL = any version,
      -- 0 = the stream must not exist, n = the stream must be at version n. Nothing is written when
      -- the version does not match; ok = false then reports the actual version.
      -- The stream's row is locked (or created) first: that write gives the transaction its id before
      -- any position is drawn from the sequence, which the readers' gap rule relies on.
      CREATE FUNCTION event_store.append(
        p_stream_id text, p_expected bigint, p_types text[], p_data text[], p_metadata text[]
      ) RETURNS TABLE (ok boolean, next_version bigint, last_position bigint)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_version  bigint;
        v_position bigint;
      BEGIN
        SELECT s.version, s.position INTO v_version, v_position
          FROM event_store.streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
        IF NOT FOUND THEN
          IF p_expected IS NOT NULL AND p_expected <> 0 THEN
            RETURN QUERY SELECT false, 0::bigint, 0::bigint;
            RETURN;
          END IF;
          INSERT INTO event_store.streams (stream_id, version, position) VALUES (p_stream_id, 0, 0)
            ON CONFLICT (stream_id) DO NOTHING;
          IF FOUND THEN
            v_version := 0;
            v_position := 0;
          ELSE -- created by another transaction meanwhile, which has committed: lock it as it is now
            SELECT s.version, s.position INTO v_version, v_position
              FROM event_store.streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
          END IF;
        END IF;
        IF p_expected IS NOT NULL AND p_expected <> v_version THEN
          RETURN QUERY SELECT false, v_version, v_position;
          RETURN;
        END IF;
        WITH inserted AS (
          INSERT INTO event_store.events (stream_id, stream_version, type, data, metadata)
          SELECT p_stream_id, v_version + e.n, e.type, e.data::json, e.metadata::json
            FROM unnest(p_types, p_data, p_metadata) WITH ORDINALITY AS e(type, data, metadata, n)
           ORDER BY e.n
          RETURNING events.position
        )
        SELECT max(inserted.position) INTO v_position FROM inserted;
        UPDATE event_store.streams s
           SET version = v_version + cardinality(p_types), position = v_position
         WHERE s.stream_id = p_stream_id;
        RETURN QUERY SELECT true, v_version + cardinality(p_types), v_position;
      END
      $fn$;
    `,
  },
];

/** An arbitrary constant: the advisory lock that serializes migrations of this schema. */
const MIGRATION_LOCK = 7_310_443_771_201;

/** Brings the database's event store schema to the newest version this code knows. */
export async function migrate(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${SCHEMA}.migrations (
         version     integer     PRIMARY KEY,
         description text        NOT NULL,
         applied_at  timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT coalesce(max(version), 0) AS version FROM ${SCHEMA}.migrations`);
    const current = rows[0].version;
    const newest = MIGRATIONS[MIGRATIONS.length - 1].version;
    if (current > newest) {
      throw new Error(`the event store schema is at version ${current}, newer than this release knows (${newest}): run a newer release`);
    }
    for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${SCHEMA}.migrations (version, description) VALUES ($1, $2)`, [migration.version, migration.description]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
