import {
  DEFAULT_SLA_POLICY,
  Priority,
  SLA_POLICY_KEYS_STREAM,
  SlaPolicy,
  SlaPolicyDefined,
  slaPolicyOf,
  slaPolicyStreamId,
  selectSlaPolicy,
} from '@app/domain';
import { EventStore } from '@app/event-store';
import { Injectable } from '@nestjs/common';

/**
 * The SLA policies as they are now, read from the event store (not the read models, which may lag
 * behind a definition that just returned). The list of keys is cached and extended from the
 * `SlaPolicyKeys` stream (keys are only ever added); each policy's newest definition is read on
 * every call, so a redefinition that returned before an open is always seen by it.
 *
 * Cost per open: one read of the keys stream's new events (usually none) and one single-row read
 * per policy key.
 */
@Injectable()
export class SlaPolicyCatalog {
  private readonly keys = new Set<string>();
  private keysVersion = 0;

  constructor(private readonly store: EventStore) {}

  async all(): Promise<SlaPolicy[]> {
    await this.refreshKeys();
    const newest = await Promise.all([...this.keys].map((key) => this.store.readLastEvent(slaPolicyStreamId(key))));
    return newest.flatMap((e) => (e?.type === 'SlaPolicyDefined' ? [slaPolicyOf(e.data as SlaPolicyDefined['data'])] : []));
  }

  /** The most specific policy for a new call; the built-in default when none matches (e.g. `default` was redefined narrower). */
  async select(call: { category: string; priority: Priority }): Promise<SlaPolicy> {
    return selectSlaPolicy(await this.all(), call) ?? { ...DEFAULT_SLA_POLICY };
  }

  private async refreshKeys(): Promise<void> {
    const from = this.keysVersion;
    const events = await this.store.readStream(SLA_POLICY_KEYS_STREAM, from);
    for (const event of events) this.keys.add(String(event.data.key));
    if (events.length > 0) this.keysVersion = Math.max(this.keysVersion, events[events.length - 1].streamVersion);
  }
}
