/**
 * SLA alerts end to end, against the product as `npm start` runs it: a manager defines an SLA policy
 * with targets of seconds for a category, subscribes to slaAlerts, a real local HTTP receiver stands in
 * for the managers' webhook (WEBHOOK_URL / WEBHOOK_SECRET in the stack's environment); a call opens
 * and nobody works it. The call's workflow timers raise AT_RISK and then BREACHED for the first
 * response and for the resolution: each alert arrives on the subscription and, signed, on the
 * webhook, exactly once; the breach escalates the call, and slaRisks lists it.
 */
import { verifyWebhookSignature } from '@app/outbound';
import { HttpTestReceiver } from '../../libs/outbound/src/testing/http-test-receiver';
import { DEV_KEYS, GraphQLClient, waitFor } from '../support/graphql-client';
import { callInput, openCall } from '../support/service-calls';
import { Stack, withStackLogs } from '../support/stack';
import { bearer, connect, Pushes } from '../support/subscription-client';

jest.setTimeout(180_000);

const SECRET = 'e2e-webhook-secret';
const CATEGORY = 'SLA e2e alerts';
const SLA_ALERTS = 'subscription { slaAlerts { alertId callId trackingCode kind target dueAt at } }';
const SLA_RISKS = 'query { slaRisks { id sla { state } } }';
const CALL = 'query Call($id: ID!) { serviceCall(id: $id) { id escalated escalations { reason by automatic } sla { state firstResponseDueAt resolutionDueAt } } }';

type Alert = { alertId: string; callId: string; trackingCode: string; kind: string; target: string; dueAt: string; at: string };
type Delivery = { id: string; type: string; data: Record<string, unknown> };

describe('SLA alerts on the subscription and the webhook (e2e)', () => {
  let stack: Stack | undefined;
  let receiver: HttpTestReceiver;
  let integrator: GraphQLClient;
  let manager: GraphQLClient;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    receiver = await new HttpTestReceiver().start();
    stack = await Stack.start({ name: 'sla-alerts', env: { WEBHOOK_URL: receiver.url('/sla-alerts'), WEBHOOK_SECRET: SECRET } });
    integrator = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.INTEGRATOR);
    manager = integrator.as(DEV_KEYS.MANAGER);
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
    await receiver?.stop();
  }, 60_000);

  it(
    'AT_RISK then BREACHED for each target, once each on the subscription and on the signed webhook; the call is escalated',
    e2e(async () => {
      // around the clock: first response within 3 s (AT_RISK at 2.4 s), resolution within 6 s (AT_RISK at 4.8 s)
      await manager.ok('mutation($input: SlaPolicyInput!) { defineSlaPolicy(input: $input) }', {
        input: { key: 'e2e-seconds', category: CATEGORY, firstResponseTarget: 'PT3S', resolutionTarget: 'PT6S' },
      });
      const client = connect(stack!.graphqlUrl, { connectionParams: bearer(DEV_KEYS.MANAGER) });
      try {
        const alerts = new Pushes<{ slaAlerts: Alert }>(client, SLA_ALERTS);
        // the first alert comes 2.4 s after the call opens: time enough for the subscription to start

        const call = await openCall(integrator, callInput({ category: CATEGORY }));
        // other tests' calls may raise alerts too: this call's only
        const ofCall = () => alerts.values.map((v) => v.slaAlerts).filter((a) => a.callId === call.id);
        await alerts.until(() => ofCall().length >= 4, 30_000, 'four alerts');
        const received = ofCall();
        const byTarget = (target: string) => received.filter((a) => a.target === target).map((a) => a.kind);
        expect(byTarget('FIRST_RESPONSE')).toEqual(['AT_RISK', 'BREACHED']);
        expect(byTarget('RESOLUTION')).toEqual(['AT_RISK', 'BREACHED']);
        for (const alert of received) {
          expect(alert).toMatchObject({ callId: call.id, trackingCode: call.trackingCode });
          expect(alert.alertId).toBe(`sla:${call.id}:${alert.target}:${alert.kind}:${alert.dueAt}`);
        }
        const sent = await call_(call.id);
        expect(received.find((a) => a.target === 'FIRST_RESPONSE')!.dueAt).toBe(sent.sla.firstResponseDueAt);
        expect(received.find((a) => a.target === 'RESOLUTION')!.dueAt).toBe(sent.sla.resolutionDueAt);

        // the webhook: the same four alerts, each signed and delivered once (the ledger's idempotency key is the alert id)
        const deliveriesOfCall = () =>
          receiver.requests.filter((r) => r.path === '/sla-alerts' && (JSON.parse(r.rawBody) as Delivery).data.callId === call.id);
        await waitFor(() => deliveriesOfCall().length >= 4, 30_000, { description: 'four webhook deliveries' });
        await new Promise((resolve) => setTimeout(resolve, 2_000)); // time for a duplicate to show up, if there were one
        const deliveries = deliveriesOfCall();
        for (const request of deliveries) {
          const signed = verifyWebhookSignature({
            secret: SECRET,
            rawBody: request.rawBody,
            signature: request.headers['x-signature'] as string | undefined,
            timestamp: request.headers['x-webhook-timestamp'] as string | undefined,
          });
          expect({ body: request.rawBody, signed }).toEqual({ body: request.rawBody, signed: true });
          expect(request.headers['idempotency-key']).toBe((JSON.parse(request.rawBody) as Delivery).id);
        }
        const bodies = deliveries.map((r) => JSON.parse(r.rawBody) as Delivery);
        expect(bodies.map((b) => b.id).sort()).toEqual(received.map((a) => a.alertId).sort());
        for (const body of bodies) {
          const alert = received.find((a) => a.alertId === body.id)!;
          expect(body.type).toBe(alert.kind === 'AT_RISK' ? 'sla.at_risk' : 'sla.breached');
          expect(body.data).toMatchObject({ callId: call.id, kind: alert.kind, target: alert.target, dueAt: alert.dueAt });
        }
        expect(ofCall()).toHaveLength(4); // nothing more on the subscription either

        // the breaches escalated the call automatically; it leads slaRisks as BREACHED
        const escalated = await call_(call.id);
        expect(escalated.escalated).toBe(true);
        expect(escalated.escalations).toEqual(
          expect.arrayContaining([
            { reason: 'FIRST_RESPONSE SLA breached', by: 'workflow', automatic: true },
            { reason: 'RESOLUTION SLA breached', by: 'workflow', automatic: true },
          ]),
        );
        expect(escalated.sla.state).toBe('BREACHED');
        const risks = (await manager.ok<{ slaRisks: { id: string; sla: { state: string } }[] }>(SLA_RISKS)).slaRisks;
        expect(risks.find((r) => r.id === call.id)).toEqual({ id: call.id, sla: { state: 'BREACHED' } });
      } finally {
        await client.dispose();
      }
    }),
  );

  it(
    'slaRisks over HTTP: FORBIDDEN for integrators and agents; a call past its at-risk time is listed, soonest due first',
    e2e(async () => {
      for (const key of [DEV_KEYS.INTEGRATOR, DEV_KEYS.AGENT]) {
        expect((await manager.as(key).request(SLA_RISKS)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
      const category = 'SLA e2e risks';
      await manager.ok('mutation($input: SlaPolicyInput!) { defineSlaPolicy(input: $input) }', {
        input: { key: 'e2e-risks', category, firstResponseTarget: 'PT2S', resolutionTarget: 'PT1H', warnAt: 0.5 },
      });
      const first = await openCall(integrator, callInput({ category }));
      const second = await openCall(integrator, callInput({ category }));
      const listed = async () =>
        (await manager.ok<{ slaRisks: { id: string; sla: { state: string } }[] }>(SLA_RISKS)).slaRisks.filter((r) => [first.id, second.id].includes(r.id));
      await waitFor(async () => (await listed()).length === 2, 10_000, { description: 'both calls at risk' });
      expect((await listed()).map((r) => r.id)).toEqual([first.id, second.id]);
      expect((await listed()).every((r) => ['AT_RISK', 'BREACHED'].includes(r.sla.state))).toBe(true);
    }),
  );

  const call_ = async (id: string) =>
    (
      await integrator.ok<{
        serviceCall: { id: string; escalated: boolean; escalations: { reason: string; by: string; automatic: boolean }[]; sla: { state: string; firstResponseDueAt: string; resolutionDueAt: string } };
      }>(CALL, { id })
    ).serviceCall;
});
