import fc from 'fast-check';
import { ValidationError } from '../shared/domain-error';
import { AUTOMATED_ACTION_NAMES } from './automated-actions';
import { findCycle, ProcessTemplateInput, StepTemplateInput, validateProcessTemplateInput } from './process-template.validation';
import { BUILT_IN_TEMPLATES, STANDARD_COMPLAINT } from './standard-complaint.template';

/** A small valid template to break in one place per case: two phases, a fan-out and a join in the second. */
function repair(): ProcessTemplateInput & { phases: { key: string; name: string; steps: StepTemplateInput[] }[]; terms: { term: string; definition: string }[] } {
  return {
    key: 'device-repair',
    title: 'Device repair',
    department: 'Field Service',
    purpose: 'Repair a faulty device at the customer’s site.',
    terms: [
      { term: 'RMA', definition: 'Return merchandise authorisation.' },
      { term: 'SLA', definition: 'Service level agreement.' },
    ],
    phases: [
      {
        key: 'intake',
        name: 'Take the call',
        steps: [
          { key: 'record', name: 'Record the fault' },
          { key: 'history', name: 'Review history', automated: true, action: 'review-customer-history', dependsOn: ['record'] },
        ],
      },
      {
        key: 'repair',
        name: 'Repair',
        steps: [
          { key: 'schedule', name: 'Schedule a visit', role: 'dispatcher', expectedDuration: 'PT2H' },
          { key: 'order-parts', name: 'Order parts', dependsOn: ['schedule'] },
          { key: 'visit', name: 'Visit the customer', dependsOn: ['schedule'], role: 'technician', expectedDuration: 'P1D' },
          { key: 'confirm', name: 'Confirm the repair', dependsOn: ['order-parts', 'visit'] },
        ],
      },
    ],
  };
}

type Template = ReturnType<typeof repair>;

function error(input: unknown): ValidationError {
  try {
    validateProcessTemplateInput(input as ProcessTemplateInput);
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

const known = AUTOMATED_ACTION_NAMES.join(', ');

describe('validateProcessTemplateInput: each mistake names its field', () => {
  const cases: [string, (t: Template) => void, string, RegExp][] = [
    // the template itself
    ['a blank key', (t) => (t.key = '  '), 'key', /key must not be blank/],
    ['a key in upper case', (t) => (t.key = 'Device-Repair'), 'key', /lowercase letters, digits and hyphens/],
    ['a key with a space', (t) => (t.key = 'device repair'), 'key', /lowercase letters/],
    ['a key starting with a hyphen', (t) => (t.key = '-repair'), 'key', /starting with a letter or digit/],
    ['an oversized key', (t) => (t.key = 'k'.repeat(101)), 'key', /longer than 100/],
    ['a blank title', (t) => (t.title = ' \t'), 'title', /title must not be blank/],
    ['a missing title', (t) => delete (t as Partial<Template>).title, 'title', /must not be blank/],
    ['a blank department', (t) => (t.department = ''), 'department', /must not be blank/],
    ['a blank purpose', (t) => (t.purpose = '  '), 'purpose', /must not be blank/],
    ['a title that is not text', (t) => ((t as unknown as { title: number }).title = 7), 'title', /must not be blank/],
    // terms
    ['a blank term', (t) => (t.terms[0].term = ' '), 'terms[0].term', /must not be blank/],
    ['a blank definition', (t) => (t.terms[1].definition = ''), 'terms[1].definition', /must not be blank/],
    ['a term twice (ignoring case)', (t) => t.terms.push({ term: ' rma ', definition: 'again' }), 'terms[2].term', /"rma" is already defined by terms\[0\]/],
    ['too many terms', (t) => (t.terms = Array.from({ length: 101 }, (_, i) => ({ term: `t${i}`, definition: 'd' }))), 'terms', /more than 100/],
    // phases
    ['no phases', (t) => (t.phases = []), 'phases', /at least one phase/],
    ['phases missing', (t) => delete (t as Partial<Template>).phases, 'phases', /must be a list/],
    ['too many phases', (t) => (t.phases = Array.from({ length: 51 }, (_, i) => ({ key: `p${i}`, name: 'P', steps: [{ key: `s${i}`, name: 'S' }] }))), 'phases', /more than 50/],
    ['a blank phase key', (t) => (t.phases[1].key = ''), 'phases[1].key', /must not be blank/],
    ['a phase key with an underscore', (t) => (t.phases[1].key = 'on_site'), 'phases[1].key', /lowercase letters/],
    ['a duplicate phase key', (t) => t.phases.push({ key: 'intake', name: 'Again', steps: [{ key: 'again', name: 'Again' }] }), 'phases[2].key', /"intake" is already the key of phases\[0\]/],
    ['a blank phase name', (t) => (t.phases[0].name = '   '), 'phases[0].name', /must not be blank/],
    ['an empty phase', (t) => (t.phases[1].steps = []), 'phases[1].steps', /phase "repair" has no steps/],
    ['too many steps in a phase', (t) => (t.phases[0].steps = Array.from({ length: 101 }, (_, i) => ({ key: `s${i}`, name: 'S' }))), 'phases[0].steps', /more than 100 steps/],
    // steps
    ['a blank step name', (t) => (t.phases[0].steps[1].name = ''), 'phases[0].steps[1].name', /must not be blank/],
    ['a blank step key', (t) => (t.phases[1].steps[3].key = ' '), 'phases[1].steps[3].key', /must not be blank/],
    ['a step key in upper case', (t) => (t.phases[1].steps[0].key = 'Schedule'), 'phases[1].steps[0].key', /lowercase letters/],
    ['a duplicate step key in one phase', (t) => (t.phases[1].steps[1].key = 'schedule'), 'phases[1].steps[1].key', /"schedule" is already used by phases\[1\]\.steps\[0\]/],
    ['a duplicate step key across phases', (t) => (t.phases[1].steps[0].key = 'record'), 'phases[1].steps[0].key', /"record" is already used by phases\[0\]\.steps\[0\]; step keys are unique in the whole process/],
    ['an oversized role', (t) => (t.phases[1].steps[0].role = 'r'.repeat(101)), 'phases[1].steps[0].role', /longer than 100/],
    ['automated that is not a boolean', (t) => ((t.phases[0].steps[0] as { automated: unknown }).automated = 'yes'), 'phases[0].steps[0].automated', /true or false/],
    // dependencies
    ['a dependency on an unknown step', (t) => (t.phases[1].steps[2].dependsOn = ['schedule', 'ghost']), 'phases[1].steps[2].dependsOn', /depends on "ghost", which is no step of this process/],
    ['a blank dependency', (t) => (t.phases[1].steps[2].dependsOn = [' ']), 'phases[1].steps[2].dependsOn', /depends on "", which is no step/],
    ['a dependency on a step of another phase', (t) => (t.phases[1].steps[2].dependsOn = ['record']), 'phases[1].steps[2].dependsOn', /depends on "record" of phase "intake"; a step may only depend on steps of its own phase \("repair"\)/],
    ['a dependency on a step of a later phase', (t) => (t.phases[0].steps[0].dependsOn = ['visit']), 'phases[0].steps[0].dependsOn', /of phase "repair"/],
    ['a self-dependency', (t) => (t.phases[1].steps[1].dependsOn = ['order-parts']), 'phases[1].steps[1].dependsOn', /cycle: order-parts -> order-parts$/],
    ['a cycle of two', (t) => (t.phases[0].steps[0].dependsOn = ['history']), 'phases[0].steps[0].dependsOn', /phase "intake" wait for each other in a cycle: record -> history -> record$/],
    ['a cycle of three', (t) => (t.phases[1].steps[0].dependsOn = ['confirm']), 'phases[1].steps[0].dependsOn', /cycle: schedule -> confirm -> (order-parts|visit) -> schedule$/],
    ['a cycle that does not include the first step', (t) => (t.phases[1].steps[1].dependsOn = ['confirm']), 'phases[1].steps[1].dependsOn', /cycle: order-parts -> confirm -> order-parts$/],
    ['dependsOn that is not a list', (t) => ((t.phases[1].steps[1] as { dependsOn: unknown }).dependsOn = 'schedule'), 'phases[1].steps[1].dependsOn', /must be a list/],
    // automation
    ['an automated step without action', (t) => delete t.phases[0].steps[1].action, 'phases[0].steps[1].action', new RegExp(`must name an action, one of: ${known}`)],
    ['an automated step with a blank action', (t) => (t.phases[0].steps[1].action = ' '), 'phases[0].steps[1].action', /must name an action/],
    ['an unknown action', (t) => (t.phases[0].steps[1].action = 'launch-rocket'), 'phases[0].steps[1].action', new RegExp(`unknown action "launch-rocket" on step "history"; known actions: ${known}`)],
    ['an action on a human step', (t) => (t.phases[1].steps[0].action = 'notify-customer'), 'phases[1].steps[0].action', /names action "notify-customer" but is not automated/],
    ['an action on a step marked automated: false', (t) => Object.assign(t.phases[1].steps[0], { automated: false, action: 'notify-customer' }), 'phases[1].steps[0].action', /not automated/],
    // durations
    ['a malformed duration', (t) => (t.phases[1].steps[0].expectedDuration = '4 hours'), 'phases[1].steps[0].expectedDuration', /not an ISO 8601 duration/],
    ['a duration without a unit', (t) => (t.phases[1].steps[2].expectedDuration = 'PT4'), 'phases[1].steps[2].expectedDuration', /not an ISO 8601 duration/],
    ['a duration in months', (t) => (t.phases[1].steps[2].expectedDuration = 'P1M'), 'phases[1].steps[2].expectedDuration', /years or months/],
    ['an empty duration "P"', (t) => (t.phases[0].steps[0].expectedDuration = 'P'), 'phases[0].steps[0].expectedDuration', /ISO 8601/],
  ];

  it.each(cases.map(([name, mistake, field, message]) => [name, field, mistake, message] as const))('%s -> %s', (_name, field, mistake, message) => {
    const template = repair();
    mistake(template);
    const e = error(template);
    expect({ field: e.field, code: e.code }).toEqual({ field, code: 'BAD_USER_INPUT' });
    expect(e.message).toMatch(message);
  });
});

describe('validateProcessTemplateInput: several mistakes, and not an object', () => {
  it('reports the first mistake in input order when there are several', () => {
    const template = repair();
    template.phases[1].steps[0].expectedDuration = 'soon';
    template.phases[1].steps[2].dependsOn = ['ghost'];
    expect(error(template).field).toBe('phases[1].steps[0].expectedDuration');
  });

  it('refuses input that is not an object', () => {
    expect(error(null).field).toBe('input');
    expect(error({ ...repair(), phases: [null] }).field).toBe('phases[0]');
    expect(error({ ...repair(), terms: ['x'] }).field).toBe('terms[0]');
  });
});

describe('validateProcessTemplateInput: valid templates', () => {
  it('normalises: trims, defaults dependsOn and automated, collapses repeated dependencies, upper-cases durations, drops empty optionals', () => {
    const template = repair();
    template.key = '  device-repair ';
    template.title = ' Device repair ';
    template.phases[1].steps[3] = { key: ' confirm ', name: ' Confirm ', dependsOn: ['visit', ' order-parts', 'visit'], instructions: '  ', role: null, expectedDuration: ' pt30m ' };
    const valid = validateProcessTemplateInput(template);
    expect(valid.key).toBe('device-repair');
    expect(valid.title).toBe('Device repair');
    expect(valid.phases[0].steps[0]).toEqual({ key: 'record', name: 'Record the fault', dependsOn: [], automated: false });
    expect(valid.phases[1].steps[3]).toEqual({ key: 'confirm', name: 'Confirm', dependsOn: ['visit', 'order-parts'], automated: false, expectedDuration: 'PT30M' });
    expect(Object.keys(valid.phases[1].steps[3])).not.toContain('instructions');
  });

  it('terms are optional', () => {
    expect(validateProcessTemplateInput({ ...repair(), terms: null }).terms).toEqual([]);
    expect(validateProcessTemplateInput({ ...repair(), terms: undefined }).terms).toEqual([]);
  });

  it('a dependency on a step listed later in the same phase is fine (the graph decides, not the order)', () => {
    const template = repair();
    template.phases[1].steps.reverse();
    expect(() => validateProcessTemplateInput(template)).not.toThrow();
  });

  it('the built-in templates are valid and already normalised', () => {
    for (const builtIn of BUILT_IN_TEMPLATES) {
      const { version: _version, ...definition } = builtIn;
      expect(validateProcessTemplateInput(builtIn)).toEqual(definition);
    }
    expect(STANDARD_COMPLAINT.phases.flatMap((p) => p.steps).filter((s) => s.automated).every((s) => AUTOMATED_ACTION_NAMES.includes(s.action!))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random templates
// ---------------------------------------------------------------------------------------------

/**
 * A random valid template: phases of random DAGs (a step depends only on steps listed before it, so
 * there is no cycle), listed in shuffled order; automated steps name a known action.
 */
const validTemplate: fc.Arbitrary<Template> = fc
  .array(
    fc.array(
      fc.record({
        deps: fc.array(fc.nat(), { maxLength: 4 }),
        automated: fc.boolean(),
        action: fc.constantFrom(...AUTOMATED_ACTION_NAMES),
        duration: fc.option(fc.constantFrom('PT15M', 'PT4H', 'P1D', 'P1W', 'PT1.5H'), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
    { minLength: 1, maxLength: 5 },
  )
  .chain((phases) =>
    fc.tuple(
      ...phases.map((steps, p) => {
        const listed = steps.map((r, i) => ({
          key: `p${p}-s${i}`,
          name: `Step ${i} of phase ${p}`,
          dependsOn: i === 0 ? [] : [...new Set(r.deps.map((d) => `p${p}-s${d % i}`))],
          automated: r.automated,
          ...(r.automated && { action: r.action }),
          ...(r.duration && { expectedDuration: r.duration }),
        }));
        return fc.shuffledSubarray(listed, { minLength: listed.length, maxLength: listed.length });
      }),
    ),
  )
  .map((phases) => ({
    ...repair(),
    phases: phases.map((steps, p) => ({ key: `phase-${p}`, name: `Phase ${p}`, steps })),
  }));

describe('properties', () => {
  it('every generated valid template passes, unchanged but for defaults', () => {
    fc.assert(
      fc.property(validTemplate, (template) => {
        const valid = validateProcessTemplateInput(template);
        expect(valid.phases).toEqual(template.phases);
      }),
      { numRuns: 300 },
    );
  });

  it('a cycle injected anywhere is refused, naming a real cycle through the new dependency, at a step on it', () => {
    fc.assert(
      fc.property(validTemplate, fc.nat(), fc.nat(), fc.nat(), (template, phaseSeed, stepSeed, pathSeed) => {
        // walk down dependencies from a random step, then make the last step reached wait for the first
        const phase = template.phases[phaseSeed % template.phases.length];
        const byKey = new Map(phase.steps.map((s) => [s.key, s]));
        const start = phase.steps[stepSeed % phase.steps.length];
        let end = start;
        for (let seed = pathSeed; end.dependsOn!.length > 0 && seed % 4 !== 0; seed = Math.floor(seed / 4)) {
          end = byKey.get(end.dependsOn![seed % end.dependsOn!.length])!;
        }
        end.dependsOn = [...end.dependsOn!, start.key];

        const e = error(template);
        const p = template.phases.indexOf(phase);
        const cycle = /cycle: (.+)$/.exec(e.message)?.[1].split(' -> ');
        expect(cycle).toBeDefined();
        const keys = cycle!;
        expect(keys[0]).toBe(keys[keys.length - 1]);
        // every link is a real dependency, and the injected one is among them
        const links = keys.slice(1).map((to, i) => [keys[i], to]);
        for (const [from, to] of links) expect(byKey.get(from)!.dependsOn).toContain(to);
        expect(links).toContainEqual([end.key, start.key]);
        // the field is the dependsOn of a step on the cycle
        const at = /^phases\[(\d+)\]\.steps\[(\d+)\]\.dependsOn$/.exec(e.field);
        expect(at && Number(at[1])).toBe(p);
        expect(keys).toContain(phase.steps[Number(at![2])].key);
      }),
      { numRuns: 300 },
    );
  });
});

describe('findCycle', () => {
  it('finds none in a DAG, and starts a found cycle at the step listed first', () => {
    expect(findCycle([{ key: 'a', dependsOn: [] }, { key: 'b', dependsOn: ['a'] }])).toBeUndefined();
    expect(findCycle([{ key: 'x', dependsOn: [] }, { key: 'c', dependsOn: ['a'] }, { key: 'a', dependsOn: ['b'] }, { key: 'b', dependsOn: ['c'] }])).toEqual({
      keys: ['c', 'a', 'b', 'c'],
      at: 1,
    });
  });
});
