import { ValidationError } from '../shared/domain-error';
import { categoryProcessStreamId, defineProcessTemplate, processTemplateOf, processTemplateStreamId, setCategoryProcess, validateCategoryProcess } from './process-template.decider';
import { validateProcessTemplateInput } from './process-template.validation';
import { STANDARD_COMPLAINT } from './standard-complaint.template';

const repair = () => ({ ...STANDARD_COMPLAINT, key: 'device-repair', title: 'Device repair' });

describe('defineProcessTemplate', () => {
  const ctx = { now: new Date('2025-03-10T09:30:00Z'), actor: 'apikey:boss' };

  it('makes version 1 of a new key and the next version of an existing one', () => {
    const definition = validateProcessTemplateInput(repair());
    expect(defineProcessTemplate(definition, 0, ctx)).toEqual({
      type: 'ProcessTemplateDefined',
      data: { ...definition, version: 1, definedBy: 'apikey:boss', at: '2025-03-10T09:30:00.000Z' },
    });
    expect(defineProcessTemplate(definition, 4, ctx).data.version).toBe(5);
  });

  it('the stored template carries when and by whom it was defined', () => {
    const definition = validateProcessTemplateInput(repair());
    expect(processTemplateOf(defineProcessTemplate(definition, 1, ctx).data)).toEqual({
      ...definition,
      version: 2,
      createdAt: '2025-03-10T09:30:00.000Z',
      definedBy: 'apikey:boss',
    });
  });

  it('refuses a nonsensical latest version', () => {
    const definition = validateProcessTemplateInput(repair());
    expect(() => defineProcessTemplate(definition, -1, ctx)).toThrow(RangeError);
    expect(() => defineProcessTemplate(definition, 1.5, ctx)).toThrow(RangeError);
  });
});

describe('setCategoryProcess', () => {
  const ctx = { now: new Date('2025-03-10T09:30:00Z'), actor: 'apikey:boss' };

  it('maps a category to an existing template', () => {
    expect(setCategoryProcess({ category: 'Billing', processKey: 'device-repair' }, { current: undefined, templateExists: true }, ctx)).toEqual([
      { type: 'CategoryProcessSet', data: { category: 'Billing', processKey: 'device-repair', by: 'apikey:boss', at: '2025-03-10T09:30:00.000Z' } },
    ]);
    expect(setCategoryProcess({ category: 'billing', processKey: 'device-repair' }, { current: 'standard-complaint', templateExists: true }, ctx)).toHaveLength(1);
  });

  it('setting the mapping it already has changes nothing', () => {
    expect(setCategoryProcess({ category: 'billing', processKey: 'device-repair' }, { current: 'device-repair', templateExists: true }, ctx)).toEqual([]);
  });

  it('refuses an unknown template, a blank category or key', () => {
    expect(() => setCategoryProcess({ category: 'billing', processKey: 'nope' }, { current: undefined, templateExists: false }, ctx)).toThrow(
      expect.objectContaining({ field: 'processKey', message: 'unknown process template "nope"' }),
    );
    expect(() => validateCategoryProcess({ category: '  ', processKey: 'x' })).toThrow(expect.objectContaining({ field: 'category' }));
    expect(() => validateCategoryProcess({ category: 'c'.repeat(101), processKey: 'x' })).toThrow(ValidationError);
    expect(() => validateCategoryProcess({ category: 'billing', processKey: '' })).toThrow(expect.objectContaining({ field: 'processKey' }));
    expect(validateCategoryProcess({ category: ' Billing ', processKey: ' device-repair ' })).toEqual({ category: 'Billing', processKey: 'device-repair' });
  });

  it('one stream per template key, and per category whatever its case and surrounding blanks', () => {
    expect(processTemplateStreamId('device-repair')).toBe('ProcessTemplate-device-repair');
    expect(categoryProcessStreamId(' Billing ')).toBe(categoryProcessStreamId('billing'));
    expect(categoryProcessStreamId('billing')).toBe('CategoryProcess-billing');
  });
});
