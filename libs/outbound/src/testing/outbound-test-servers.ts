import { HttpTestReceiver } from './http-test-receiver';
import { SmtpTestServer } from './smtp-test-server';

export interface OutboundTestServers {
  smtp: SmtpTestServer;
  receiver: HttpTestReceiver;
}

/**
 * A real SMTP server and a real HTTP receiver for the tests of the file or `describe` that calls this:
 * started before the first test (beforeAll), stopped after the last (afterAll). Their URLs are known
 * once they started, so read them in hooks and tests, not where this is called.
 */
export function outboundTestServers(): OutboundTestServers {
  const servers: OutboundTestServers = { smtp: new SmtpTestServer(), receiver: new HttpTestReceiver() };
  beforeAll(async () => {
    await servers.smtp.start();
    await servers.receiver.start();
  });
  afterAll(async () => {
    // a server whose start failed or never ran has port 0: nothing to stop
    if (servers.smtp.port) await servers.smtp.stop();
    if (servers.receiver.port) await servers.receiver.stop();
  });
  return servers;
}
