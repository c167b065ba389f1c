import { ValidationError } from '../shared/domain-error';
import { validateBusinessHours } from './business-hours';
import { selectSlaPolicy, SlaPolicy, validateSlaPolicy } from './sla-policy';

const fieldOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  return undefined;
};

const hours = { timezone: 'Europe/Berlin', weekly: [{ day: 'MON', from: '09:00', to: '17:30' }] };

describe('business hours validation', () => {
  it('accepts a calendar and normalises it', () => {
    expect(
      validateBusinessHours({
        timezone: 'europe/berlin',
        weekly: [
          { day: 'TUE', from: '13:00', to: '17:30' },
          { day: 'MON', from: '09:00', to: '12:00' },
          { day: 'TUE', from: '09:00', to: '12:00' },
          { day: 'SUN', from: '20:00', to: '24:00' },
        ],
        holidays: ['2026-12-25', '2026-12-24', '2026-12-25'],
      }),
    ).toEqual({
      timezone: 'Europe/Berlin',
      weekly: [
        { day: 'MON', from: '09:00', to: '12:00' },
        { day: 'TUE', from: '09:00', to: '12:00' },
        { day: 'TUE', from: '13:00', to: '17:30' },
        { day: 'SUN', from: '20:00', to: '24:00' },
      ],
      holidays: ['2026-12-24', '2026-12-25'],
    });
  });

  it('null or absent means around the clock', () => {
    expect(validateBusinessHours(null)).toBeNull();
    expect(validateBusinessHours(undefined)).toBeNull();
  });

  it.each([
    ['unknown zone', { ...hours, timezone: 'Mars/Olympus' }, 'businessHours.timezone'],
    ['blank zone', { ...hours, timezone: ' ' }, 'businessHours.timezone'],
    ['no opening hours', { ...hours, weekly: [] }, 'businessHours.weekly'],
    ['weekly not a list', { ...hours, weekly: 'MON-FRI' }, 'businessHours.weekly'],
    ['bad day', { ...hours, weekly: [{ day: 'MONDAY', from: '09:00', to: '17:00' }] }, 'businessHours.weekly[0].day'],
    [
      'bad from',
      { ...hours, weekly: [hours.weekly[0], hours.weekly[0], { day: 'TUE', from: '9:00', to: '17:00' }] },
      'businessHours.weekly[2].from',
    ],
    ['from 24:00', { ...hours, weekly: [{ day: 'MON', from: '24:00', to: '24:00' }] }, 'businessHours.weekly[0].from'],
    ['bad to', { ...hours, weekly: [{ day: 'MON', from: '09:00', to: '25:00' }] }, 'businessHours.weekly[0].to'],
    ['from equals to', { ...hours, weekly: [{ day: 'MON', from: '09:00', to: '09:00' }] }, 'businessHours.weekly[0].to'],
    ['from after to', { ...hours, weekly: [{ day: 'MON', from: '17:00', to: '09:00' }] }, 'businessHours.weekly[0].to'],
    [
      'overlap on one day',
      {
        ...hours,
        weekly: [
          { day: 'MON', from: '13:00', to: '17:00' },
          { day: 'TUE', from: '09:00', to: '17:00' },
          { day: 'MON', from: '09:00', to: '13:30' },
        ],
      },
      'businessHours.weekly[2]',
    ],
    ['bad holiday', { ...hours, holidays: ['2026-02-30'] }, 'businessHours.holidays[0]'],
    ['holiday not a date', { ...hours, holidays: ['2026-12-24', 'Christmas'] }, 'businessHours.holidays[1]'],
  ])('refuses %s', (_name, input, field) => {
    expect(fieldOf(() => validateBusinessHours(input))).toBe(field);
  });

  it('allows touching intervals (a day split at noon)', () => {
    const cal = validateBusinessHours({ ...hours, weekly: [{ day: 'MON', from: '09:00', to: '12:00' }, { day: 'MON', from: '12:00', to: '17:00' }] });
    expect(cal?.weekly).toHaveLength(2);
  });
});

describe('SLA policy validation', () => {
  const valid = { key: 'standard', firstResponseTarget: 'PT4H', resolutionTarget: 'P2D' };

  it('fills defaults: any priority, any category, warnAt 0.8, around the clock', () => {
    expect(validateSlaPolicy(valid)).toEqual({
      key: 'standard',
      priority: null,
      category: null,
      firstResponseTarget: 'PT4H',
      resolutionTarget: 'P2D',
      warnAt: 0.8,
      businessHours: null,
    });
  });

  it('keeps a calendar, priority, category and warnAt', () => {
    const policy = validateSlaPolicy({ ...valid, priority: 'HIGH', category: ' Billing ', warnAt: 0.5, businessHours: hours });
    expect(policy).toMatchObject({ priority: 'HIGH', category: 'Billing', warnAt: 0.5, businessHours: { timezone: 'Europe/Berlin' } });
  });

  it('a first-response target is optional in the domain', () => {
    expect(validateSlaPolicy({ key: 'k', resolutionTarget: 'PT8H' }).firstResponseTarget).toBeNull();
  });

  it.each([
    ['blank key', { ...valid, key: ' ' }, 'key'],
    ['unknown priority', { ...valid, priority: 'CRITICAL' }, 'priority'],
    ['bad first-response target', { ...valid, firstResponseTarget: '4 hours' }, 'firstResponseTarget'],
    ['months', { ...valid, resolutionTarget: 'P1M' }, 'resolutionTarget'],
    ['missing resolution target', { key: 'k', firstResponseTarget: 'PT1H' }, 'resolutionTarget'],
    ['zero target', { ...valid, resolutionTarget: 'PT0S' }, 'resolutionTarget'],
    ['first response longer than resolution', { ...valid, firstResponseTarget: 'P3D' }, 'firstResponseTarget'],
    ['warnAt 1', { ...valid, warnAt: 1 }, 'warnAt'],
    ['warnAt 0', { ...valid, warnAt: 0 }, 'warnAt'],
    ['warnAt text', { ...valid, warnAt: '0.8' }, 'warnAt'],
    ['bad calendar', { ...valid, businessHours: { ...hours, weekly: [{ day: 'MON', from: '09:00', to: '8:00' }] } }, 'businessHours.weekly[0].to'],
  ])('refuses %s', (_name, input, field) => {
    expect(fieldOf(() => validateSlaPolicy(input))).toBe(field);
  });
});

describe('selecting the SLA policy of a call', () => {
  const policy = (key: string, priority: SlaPolicy['priority'], category: string | null) => ({ key, priority, category });
  const policies = [
    policy('default', null, null),
    policy('billing', null, 'Billing'),
    policy('urgent', 'URGENT', null),
    policy('urgent-billing', 'URGENT', ' billing '),
  ];

  it.each([
    ['category and priority', { category: 'BILLING', priority: 'URGENT' as const }, 'urgent-billing'],
    ['priority', { category: 'Delivery', priority: 'URGENT' as const }, 'urgent'],
    ['category', { category: '  billing', priority: 'LOW' as const }, 'billing'],
    ['default', { category: 'Delivery', priority: 'LOW' as const }, 'default'],
  ])('the most specific wins: %s', (_name, call, key) => {
    expect(selectSlaPolicy(policies, call)?.key).toBe(key);
    expect(selectSlaPolicy([...policies].reverse(), call)?.key).toBe(key);
  });

  it('priority beats category', () => {
    expect(selectSlaPolicy([policy('billing', null, 'billing'), policy('high', 'HIGH', null)], { category: 'billing', priority: 'HIGH' })?.key).toBe('high');
  });

  it('breaks ties by the smaller key, whatever the order', () => {
    const tied = [policy('b', 'HIGH', null), policy('a', 'HIGH', null)];
    expect(selectSlaPolicy(tied, { category: 'x', priority: 'HIGH' })?.key).toBe('a');
    expect(selectSlaPolicy([...tied].reverse(), { category: 'x', priority: 'HIGH' })?.key).toBe('a');
  });

  it('gives undefined when nothing matches', () => {
    expect(selectSlaPolicy([policy('billing', null, 'billing')], { category: 'delivery', priority: 'LOW' })).toBeUndefined();
    expect(selectSlaPolicy([], { category: 'delivery', priority: 'LOW' })).toBeUndefined();
  });
});
