/**
 * The aftercare over HTTP, with the delays shortened by configuration: the product (as `npm start`
 * runs it) e-mails the follow-up to a real SMTP server in this test process two seconds after the
 * call is resolved, and closes the call when nobody answers.
 */
import { SmtpTestServer } from '../../libs/outbound/src/testing/smtp-test-server';
import { DEV_KEYS, GraphQLClient, waitFor } from '../support/graphql-client';
import { callInput, CALL_FIELDS, openCall } from '../support/service-calls';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(120_000);

const FIELDS = `${CALL_FIELDS} closedAt contacts { id purpose channel scheduledFor sentAt outcome } history { type version data }`;
type Call = {
  id: string;
  trackingCode: string;
  status: string;
  contacts: { id: string; purpose: string; channel: string; outcome: string | null }[];
  history: { type: string; data: string }[];
};
const CALL = `query Call($id: ID!) { serviceCall(id: $id) { ${FIELDS} } }`;
const RESOLVE = `mutation Resolve($input: ResolutionInput!) { resolveServiceCall(input: $input) { ${FIELDS} } }`;

describe('follow-up over HTTP (e2e)', () => {
  let stack: Stack | undefined;
  let smtp: SmtpTestServer;
  let manager: GraphQLClient;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    smtp = await new SmtpTestServer().start();
    stack = await Stack.start({
      name: 'follow-up',
      env: { SMTP_URL: smtp.url(), FOLLOW_UP_AFTER: 'PT2S', FOLLOW_UP_ANSWER_TIMEOUT: 'PT3S' },
    });
    manager = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.MANAGER);
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
    await smtp?.stop();
  }, 60_000);

  const getCall = async (id: string): Promise<Call> => (await manager.ok<{ serviceCall: Call }>(CALL, { id })).serviceCall;

  test(
    'the follow-up e-mail arrives once, FOLLOW_UP_AFTER after resolution; unanswered, the call is closed',
    e2e(async () => {
      const input = callInput();
      const email = (input.customer as { email: string }).email;
      const { id, trackingCode } = await openCall(manager, input);
      const resolvedAt = Date.now();
      await manager.ok(RESOLVE, { input: { callId: id, agreedSolution: 'Refunded the second debit', implemented: true } });

      const mails = () => smtp.received.filter((m) => m.parsed.subject?.includes(trackingCode));
      await waitFor(() => mails().length > 0, 30_000, { description: 'the follow-up e-mail' });
      expect(Date.now() - resolvedAt).toBeGreaterThanOrEqual(2_000);
      expect(mails()[0].envelopeTo).toEqual([email]);
      expect(mails()[0].parsed.subject).toContain('How did we do?');
      expect(mails()[0].parsed.text).toContain(trackingCode);

      const contacted = await waitFor(async () => {
        const call = await getCall(id);
        return call.contacts.find((c) => c.id === 'follow-up-1')?.outcome ? call : undefined;
      }, 15_000, { description: 'the follow-up recorded' });
      expect(contacted.contacts).toEqual([expect.objectContaining({ id: 'follow-up-1', purpose: 'FOLLOW_UP', channel: 'EMAIL', outcome: 'SENT' })]);

      const closed = await waitFor(async () => {
        const call = await getCall(id);
        return call.status === 'CLOSED' && call;
      }, 30_000, { description: 'closed as unanswered' });
      const event = closed.history.find((e) => e.type === 'ServiceCallClosed');
      expect(JSON.parse(event!.data)).toMatchObject({ reason: 'the follow-up was not answered' });
      expect(mails()).toHaveLength(1);
    }),
  );
});
