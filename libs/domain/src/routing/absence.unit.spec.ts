import { activeAbsence, isAbsentAt } from './absence';
import { ineligibility } from './routing-policy';
import { AgentAbsence, RoutingCandidate } from './routing.types';

// One rule for "absent at t", asked by routing, the agent decider, the read model and the supervisor.

const absence = (id: string, from: string, to: string, over: Partial<AgentAbsence> = {}): AgentAbsence => ({
  id,
  from: `2026-03-02T${from}:00.000Z`,
  to: `2026-03-02T${to}:00.000Z`,
  reason: 'holiday',
  replacementAgentId: null,
  cancelledAt: null,
  ...over,
});
const at = (time: string) => new Date(`2026-03-02T${time}:00.000Z`);

const candidate = (absences: AgentAbsence[]): RoutingCandidate => ({
  agentId: 'anna',
  regions: ['*'],
  skills: [{ kind: 'CATEGORY', key: 'billing', level: 3 }],
  languages: [],
  roles: [],
  capacity: 5,
  openCalls: 0,
  availability: 'AVAILABLE',
  workingHours: null,
  absences,
  lastAssignedAt: null,
});
const request = { callId: 'c1', region: null, category: 'billing', product: null, language: null };

describe('an absence in force', () => {
  it('counts from `from` (inclusive) to `to` (exclusive)', () => {
    const agent = { absences: [absence('a1', '08:30', '10:00')] };
    expect([isAbsentAt(agent, at('08:29')), isAbsentAt(agent, at('08:30')), isAbsentAt(agent, at('09:59')), isAbsentAt(agent, at('10:00'))]).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('overlapping absences: absent while ANY not cancelled one covers the moment, whatever their order', () => {
    // a cancelled absence listed first does not hide the one still in force
    const cancelledFirst = [absence('old', '08:00', '18:00', { cancelledAt: '2026-03-01T00:00:00.000Z' }), absence('dentist', '09:00', '10:00')];
    for (const absences of [cancelledFirst, [...cancelledFirst].reverse()]) {
      expect(isAbsentAt({ absences }, at('09:30'))).toBe(true);
      expect(activeAbsence({ absences }, at('09:30'))?.id).toBe('dentist');
      expect(ineligibility(request, candidate(absences), at('09:30'))).toBe('absent');
      expect(isAbsentAt({ absences }, at('10:00'))).toBe(false);
      expect(ineligibility(request, candidate(absences), at('10:00'))).toBeNull();
    }
  });

  it('overlapping absences name the one that ends first, not the one listed first', () => {
    const week = absence('week', '08:00', '18:00', { replacementAgentId: 'ben' });
    const dentist = absence('dentist', '09:00', '10:00', { replacementAgentId: 'carl' });
    for (const absences of [
      [week, dentist],
      [dentist, week],
    ]) {
      expect(activeAbsence({ absences }, at('09:30'))?.id).toBe('dentist');
      // the short one over, the long one is still in force
      expect(activeAbsence({ absences }, at('10:00'))?.id).toBe('week');
      expect(ineligibility(request, candidate(absences), at('10:00'))).toBe('absent');
    }
  });

  it('back-to-back absences leave no gap at the seam', () => {
    const absences = [absence('morning', '08:00', '10:00'), absence('midday', '10:00', '12:00')];
    expect(activeAbsence({ absences }, at('10:00'))?.id).toBe('midday');
    expect(ineligibility(request, candidate(absences), at('10:00'))).toBe('absent');
  });
});
