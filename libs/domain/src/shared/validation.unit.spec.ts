import fc from 'fast-check';
import { ValidationError } from './domain-error';
import { isoInstant, LIMITS, oneOf, optionalEmail, optionalPhone, optionalText, requiredText } from './validation';

function refusal(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError, but the value was accepted');
}

describe('optionalEmail', () => {
  it.each([
    ['ada@example.com', 'ada@example.com'],
    ['ada.lovelace+complaints@mail.example.co.uk', 'ada.lovelace+complaints@mail.example.co.uk'],
    ["o'brien@example.ie", "o'brien@example.ie"],
    ['user_1@sub-domain.example.org', 'user_1@sub-domain.example.org'],
    ['  Ada.Lovelace@Example.COM  ', 'ada.lovelace@example.com'],
    ['x@y.io', 'x@y.io'],
  ])('accepts %j as %j', (input, expected) => {
    expect(optionalEmail('customer.email', input)).toBe(expected);
  });

  it.each([undefined, null, '', '   '])('treats %j as no e-mail', (input) => {
    expect(optionalEmail('customer.email', input)).toBeUndefined();
  });

  it.each([
    'ada',
    'ada@',
    '@example.com',
    'ada@example',
    'ada@example.',
    'ada@.example.com',
    'ada@example..com',
    'ada lovelace@example.com',
    'ada@exa mple.com',
    'ada@@example.com',
    'ada@b@example.com',
    'ada@example.com\nbcc@evil.example',
    `${'a'.repeat(243)}@example.com`, // 255 characters: over the 254 a mail system accepts
  ])('refuses %j, naming the field', (input) => {
    const error = refusal(() => optionalEmail('customer.email', input));
    expect(error.field).toBe('customer.email');
    expect(error.code).toBe('BAD_USER_INPUT');
  });

  it('refuses an e-mail that is not text', () => {
    expect(refusal(() => optionalEmail('customer.email', 42)).message).toMatch(/must be a string/);
  });

  it('accepts an address of exactly 254 characters', () => {
    const address = `${'a'.repeat(242)}@example.com`;
    expect(address).toHaveLength(254);
    expect(optionalEmail('customer.email', address)).toBe(address);
  });
});

describe('optionalPhone', () => {
  it.each([
    ['+49 30 1234567', '+49 30 1234567'],
    ['+1 (555) 123-4567', '+1 (555) 123-4567'],
    ['030/1234567', '030/1234567'],
    ['(030) 1234567', '(030) 1234567'], // national format with the area code in brackets
    ['0049.30.1234567', '0049.30.1234567'],
    ['4915112345678', '4915112345678'],
    ['123456', '123456'], // 6 digits, the fewest
    ['+123456789012345', '+123456789012345'], // 15 digits, the most E.164 allows
    ['  +44 20 7946 0958 ', '+44 20 7946 0958'],
  ])('accepts %j as %j', (input, expected) => {
    expect(optionalPhone('customer.phone', input)).toBe(expected);
  });

  it.each([undefined, null, '', '  '])('treats %j as no phone number', (input) => {
    expect(optionalPhone('customer.phone', input)).toBeUndefined();
  });

  it.each([
    '12345', // 5 digits
    '+12 345',
    '+1234567890123456', // 16 digits
    '123-456-789-012-345-678',
    'call me maybe',
    '+',
    '+49 30 CALL-NOW',
    '++49 30 1234567',
    '49+30 1234567',
    '1234567#89',
    '+49 30 1234567 ext. 9',
    `+49${' -'.repeat(15)}1234567`, // few digits, but longer than 32 characters
  ])('refuses %j, naming the field', (input) => {
    const error = refusal(() => optionalPhone('customer.phone', input));
    expect(error.field).toBe('customer.phone');
    expect(error.code).toBe('BAD_USER_INPUT');
  });

  it('tells the client which format to use', () => {
    expect(refusal(() => optionalPhone('customer.phone', 'call me')).message).toMatch(/international format/);
  });

  it('counts only digits towards the limits (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,20}$/), fc.constantFrom('', '+'), (digits, plus) => {
        const phone = `${plus}${digits}`;
        if (digits.length >= 6 && digits.length <= 15) expect(optionalPhone('customer.phone', phone)).toBe(phone);
        else expect(refusal(() => optionalPhone('customer.phone', phone)).field).toBe('customer.phone');
      }),
    );
  });
});

describe('requiredText and optionalText', () => {
  it('trim, and keep the text', () => {
    expect(requiredText('summary', '  Charged twice  ', LIMITS.summary)).toBe('Charged twice');
    expect(optionalText('description', '\tsee attachment\n', LIMITS.longText)).toBe('see attachment');
  });

  it.each([undefined, null, '', '   ', '\n\t', 7, {}])('requiredText refuses %j as blank', (value) => {
    expect(refusal(() => requiredText('summary', value, LIMITS.summary))).toMatchObject({ field: 'summary', message: 'summary must not be blank' });
  });

  it.each([undefined, null, '', '  '])('optionalText takes %j as absent', (value) => {
    expect(optionalText('description', value, LIMITS.longText)).toBeUndefined();
  });

  it.each([7, true, {}, ['a']])('optionalText refuses %j, which is not text', (value) => {
    expect(refusal(() => optionalText('description', value, LIMITS.longText))).toMatchObject({ field: 'description', message: /must be a string/ });
  });

  const textOver = (max: number, unit: 'grapheme-ascii' | 'binary') =>
    fc.string({ unit, minLength: max + 1, maxLength: max + 40 }).filter((s) => s.trim().length > max);

  it('refuse any text longer than the limit, whatever its characters (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 120 }).chain((max) => fc.tuple(fc.constant(max), fc.oneof(textOver(max, 'grapheme-ascii'), textOver(max, 'binary')))),
        ([max, text]) => {
          expect(refusal(() => optionalText('field.path', text, max))).toMatchObject({ field: 'field.path', message: /longer than/ });
          expect(refusal(() => requiredText('field.path', text, max))).toMatchObject({ field: 'field.path', message: /longer than/ });
        },
      ),
    );
  });

  it('accept any non-blank text within the limit, however it is padded (property)', () => {
    const padding = fc.stringMatching(/^[ \t\n]{0,5}$/);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }).chain((max) =>
          fc.tuple(fc.constant(max), fc.string({ minLength: 1, maxLength: max }).filter((s) => s.trim() === s && s !== ''), padding, padding),
        ),
        ([max, text, before, after]) => {
          expect(requiredText('f', `${before}${text}${after}`, max)).toBe(text);
          expect(optionalText('f', `${before}${text}${after}`, max)).toBe(text);
        },
      ),
    );
  });
});

describe('oneOf', () => {
  const CHANNELS = ['PHONE', 'EMAIL'] as const;

  it('accepts an allowed value', () => {
    expect(oneOf('channel', 'EMAIL', CHANNELS)).toBe('EMAIL');
  });

  it.each(['FAX', 'email', ' EMAIL', '', undefined, null, 1])('refuses %j, listing what is allowed', (value) => {
    expect(refusal(() => oneOf('channel', value, CHANNELS))).toMatchObject({ field: 'channel', message: 'channel must be one of PHONE, EMAIL' });
  });
});

describe('isoInstant', () => {
  it.each([
    ['2025-03-10T09:30:00Z', '2025-03-10T09:30:00.000Z'],
    ['2025-03-10T09:30:00.123Z', '2025-03-10T09:30:00.123Z'],
    ['2025-03-10T10:30:00+01:00', '2025-03-10T09:30:00.000Z'],
    ['2025-03-10T04:30:00-0500', '2025-03-10T09:30:00.000Z'],
    ['2025-03-10T09:30Z', '2025-03-10T09:30:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    [' 2025-03-10T09:30:00Z ', '2025-03-10T09:30:00.000Z'],
  ])('reads %j as %s', (input, expected) => {
    expect(isoInstant('receivedAt', input).toISOString()).toBe(expected);
  });

  it('takes a Date as it is', () => {
    const date = new Date('2025-03-10T09:30:00Z');
    expect(isoInstant('receivedAt', date)).toBe(date);
  });

  it.each([
    'yesterday',
    '',
    '1',
    '0',
    'March 7',
    '10 March 2025',
    '2025-03-10', // a day, not an instant
    '2025-03-10T09:30:00', // no offset: would be read in the server's zone
    '2025-13-01T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2025-02-30T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-03-10T24:00:00Z',
    '2025-03-10T09:60:00Z',
    '2025-03-10T09:30:00+25:00',
    123,
    null,
    new Date(NaN),
  ])('refuses %j, naming the field', (input) => {
    expect(refusal(() => isoInstant('receivedAt', input))).toMatchObject({ field: 'receivedAt', code: 'BAD_USER_INPUT' });
  });

  it('reads back every instant it writes (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (date) => {
        expect(isoInstant('at', date.toISOString()).getTime()).toBe(date.getTime());
      }),
    );
  });
});
