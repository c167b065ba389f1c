import { describeEventStoreContract } from './event-store.contract';
import { EsdbEventStore } from './esdb.event-store';

// Tests are the one place besides configuration that may read the environment: they choose what to run against.
const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;

if (connectionString) {
  describeEventStoreContract('EventStoreDB', async () => new EsdbEventStore({ connectionString }));
} else {
  describe.skip('EventStore contract: EventStoreDB (skipped: EVENTSTORE_CONNECTION_STRING is not set)', () => {
    it('needs a reachable EventStoreDB, e.g. esdb://localhost:2113?tls=false', () => undefined);
  });
}
