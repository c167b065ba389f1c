import { validateSlaPolicy } from '../sla/sla-policy';
import { DEFAULT_SLA_POLICY } from '../sla/sla-policy.events';
import { callSla } from './service-call.sla';
import { ServiceCall } from './service-call.types';

// Worked by hand. Berlin is UTC+1 in January; the policy is open Mon-Fri 09:00-17:00 local (08:00-16:00Z).
const POLICY = validateSlaPolicy({
  key: 'billing',
  category: 'Billing',
  firstResponseTarget: 'PT2H',
  resolutionTarget: 'PT16H',
  businessHours: { timezone: 'Europe/Berlin', weekly: ['MON', 'TUE', 'WED', 'THU', 'FRI'].map((day) => ({ day, from: '09:00', to: '17:00' })) },
});

/** Received Friday 2026-01-09 15:00 local (14:00Z): 2 open hours that day, the rest from Monday. */
const call = (patch: Partial<ServiceCall> = {}): ServiceCall =>
  ({ id: 'c', status: 'IN_PROGRESS', receivedAt: '2026-01-09T14:00:00.000Z', pauses: [], slaEvents: [], slaPolicy: POLICY, ...patch }) as ServiceCall;

describe('callSla', () => {
  it('due times count only business time from receivedAt', () => {
    const sla = callSla(call(), new Date('2026-01-09T14:30:00.000Z'));
    // first response: 2 h -> Friday 17:00 local; resolution: 2 h Fri + 8 h Mon + 6 h Tue -> Tue 15:00 local
    expect(sla.firstResponseDueAt?.toISOString()).toBe('2026-01-09T16:00:00.000Z');
    expect(sla.resolutionDueAt.toISOString()).toBe('2026-01-13T14:00:00.000Z');
    expect(sla).toMatchObject({ policyKey: 'billing', state: 'ON_TRACK', firstRespondedAt: null, pausedSince: null });
  });

  it('a first response in time stops that clock; the resolution clock goes on', () => {
    const sla = callSla(call({ firstRespondedAt: '2026-01-09T14:10:00.000Z' }), new Date('2026-01-12T10:00:00.000Z'));
    expect(sla.state).toBe('ON_TRACK');
    expect(sla.firstRespondedAt?.toISOString()).toBe('2026-01-09T14:10:00.000Z');
    expect(callSla(call(), new Date('2026-01-12T10:00:00.000Z')).state).toBe('BREACHED');
  });

  it('an open pause is PAUSED, and moves the due time by the business time it covers so far', () => {
    const paused = call({ firstRespondedAt: '2026-01-09T14:10:00.000Z', status: 'WAITING_ON_CUSTOMER', pauses: [{ reason: 'photos', from: '2026-01-12T08:00:00.000Z' }] });
    const sla = callSla(paused, new Date('2026-01-12T10:00:00.000Z'));
    expect(sla.state).toBe('PAUSED');
    expect(sla.pausedSince?.toISOString()).toBe('2026-01-12T08:00:00.000Z');
    expect(sla.resolutionDueAt.toISOString()).toBe('2026-01-13T16:00:00.000Z'); // 2 open hours later
  });

  it('a resolved call is MET before its due time and BREACHED after it', () => {
    const responded = { firstRespondedAt: '2026-01-09T14:10:00.000Z' };
    expect(callSla(call({ ...responded, status: 'RESOLVED', resolvedAt: '2026-01-12T09:00:00.000Z' }), new Date('2026-02-01T00:00:00Z')).state).toBe('MET');
    expect(callSla(call({ ...responded, status: 'CLOSED', resolvedAt: '2026-01-13T15:00:00.000Z' }), new Date('2026-02-01T00:00:00Z')).state).toBe('BREACHED');
  });

  it('a call opened before SLA policies existed is measured by the default policy', () => {
    const sla = callSla(call({ slaPolicy: undefined }), new Date('2026-01-09T14:30:00.000Z'));
    expect(sla.policyKey).toBe(DEFAULT_SLA_POLICY.key);
    expect(sla.firstResponseDueAt?.toISOString()).toBe('2026-01-09T18:00:00.000Z');
    expect(sla.resolutionDueAt.toISOString()).toBe('2026-01-14T14:00:00.000Z');
  });
});
