import { AppConfig } from './app-config';

describe('aftercare delays (FOLLOW_UP_AFTER, FOLLOW_UP_ANSWER_TIMEOUT, RETENTION_CHECK_IN_AFTER)', () => {
  test('defaults: two (business) days, seven days to answer, 30 days to the check-in', () => {
    expect(new AppConfig({}).aftercare).toEqual({ followUpAfter: 'P2D', followUpAnswerTimeout: 'P7D', retentionCheckInAfter: 'P30D' });
  });

  test('ISO 8601 durations are taken, normalised to upper case', () => {
    const config = new AppConfig({ FOLLOW_UP_AFTER: 'pt2s', FOLLOW_UP_ANSWER_TIMEOUT: 'PT1M', RETENTION_CHECK_IN_AFTER: 'P1DT12H' });
    expect(config.aftercare).toEqual({ followUpAfter: 'PT2S', followUpAnswerTimeout: 'PT1M', retentionCheckInAfter: 'P1DT12H' });
  });

  test.each([
    ['FOLLOW_UP_AFTER', '2 days'],
    ['FOLLOW_UP_ANSWER_TIMEOUT', 'P1M'],
    ['RETENTION_CHECK_IN_AFTER', 'P1Y'],
    ['RETENTION_CHECK_IN_AFTER', 'P'],
  ])('%s=%s is refused with the variable named', (name, value) => {
    expect(() => new AppConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be an ISO 8601 duration`));
  });
});
