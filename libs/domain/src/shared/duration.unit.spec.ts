import fc from 'fast-check';
import { ValidationError } from './domain-error';
import { formatIsoDuration, optionalIsoDuration, parseIsoDuration } from './duration';

describe('ISO 8601 durations', () => {
  it.each([
    ['PT4H', 4 * 3_600_000],
    ['P2D', 2 * 86_400_000],
    ['P1W', 7 * 86_400_000],
    ['PT1.5H', 5_400_000],
    ['PT0,5M', 30_000],
    ['P1DT12H', 36 * 3_600_000],
    ['PT90M', 90 * 60_000],
    ['PT30S', 30_000],
    ['pt15m', 15 * 60_000],
    ['PT0S', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', '4H', 'PT4', 'P1H', 'PTH', 'PT-1H', 'P1Y', 'P2M', 'PT4H30', 'PT4HM', 'P1DT', 'PT1.H', 'four hours', 'P1D2H'])(
    'refuses %j',
    (text) => {
      expect(parseIsoDuration(text)).toBeUndefined();
    },
  );

  it('names the field and explains calendar units', () => {
    expect(() => optionalIsoDuration('expectedDuration', 'P1M')).toThrow(/years or months/);
    try {
      optionalIsoDuration('phases[0].steps[1].expectedDuration', 'soon');
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('phases[0].steps[1].expectedDuration');
    }
  });

  it('treats blank as absent and normalises case', () => {
    expect(optionalIsoDuration('d', undefined)).toBeUndefined();
    expect(optionalIsoDuration('d', ' ')).toBeUndefined();
    expect(optionalIsoDuration('d', ' pt4h ')).toBe('PT4H');
  });

  it('formats what it parses back to the same length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 86_400 }), (seconds) => {
        const ms = seconds * 1000;
        expect(parseIsoDuration(formatIsoDuration(ms))).toBe(ms);
      }),
    );
  });
});
