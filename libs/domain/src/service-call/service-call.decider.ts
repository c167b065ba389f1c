import { ConflictError, NotFoundError } from '../shared/domain-error';
import { exhaustive } from '../shared/exhaustive';
import { validateOpenServiceCall } from './open-service-call.validation';
import { decideAftercare } from './service-call.aftercare';
import { CommandContext, ServiceCallCommand } from './service-call.commands';
import { ServiceCallEvent } from './service-call.events';
import { decideRouting } from './service-call.routing';
import { decideSla } from './service-call.sla';
import { callExists, ServiceCallState } from './service-call.state';
import { decideStep } from './service-call.steps';
import { isFinished } from './service-call.types';

/** What may still be done once the call is resolved: its aftercare (record, feedback, contacts, notes), not its process. */
const AFTER_RESOLUTION = new Set<ServiceCallCommand['type']>([
  'ResolveServiceCall',
  'AddNote',
  'RecordResolution',
  'RecordFeedback',
  'CloseServiceCall',
  'ReopenServiceCall',
  'ScheduleContact',
  'RecordContact',
  // a target met by the resolution is recorded once the call is resolved
  'RecordSlaMet',
  // an absence starting after the resolution: nothing to take away (decided as a no-op)
  'UnassignServiceCall',
]);

/**
 * decide: (command, state, ctx) -> events. Throws a DomainError when the command is invalid or not
 * allowed. Commands that would change nothing (the process manager repeating itself) return no events.
 * Each group of commands is decided in its own file.
 */
export function decide(command: ServiceCallCommand, state: ServiceCallState, ctx: CommandContext): ServiceCallEvent[] {
  if (command.type === 'OpenServiceCall') return decideOpen(command, state, ctx);
  if (!callExists(state)) throw new NotFoundError('service call not found', 'callId');
  if (isFinished(state) && !AFTER_RESOLUTION.has(command.type)) throw new ConflictError(`service call is ${state.status}`, state.version);
  switch (command.type) {
    case 'StartPhase':
    case 'MarkStepsReady':
    case 'StartStep':
    case 'CompleteStep':
    case 'SkipStep':
    case 'FailStep':
    case 'RetryStep':
    case 'CompletePhase':
      return decideStep(command, state, ctx);
    case 'AddNote':
    case 'ResolveServiceCall':
    case 'RecordResolution':
    case 'WaitForCustomer':
    case 'RecordCustomerResponse':
    case 'EscalateServiceCall':
    case 'RecordFeedback':
    case 'CloseServiceCall':
    case 'ReopenServiceCall':
    case 'ScheduleContact':
    case 'RecordContact':
      return decideAftercare(command, state, ctx);
    case 'AssignServiceCall':
    case 'UnassignServiceCall':
    case 'QueueServiceCall':
    case 'RequestCallback':
      return decideRouting(command, state, ctx);
    case 'RecordSlaAtRisk':
    case 'RecordSlaBreach':
    case 'RecordSlaMet':
      return decideSla(command, state, ctx);
    default:
      return exhaustive(command);
  }
}

function decideOpen(command: Extract<ServiceCallCommand, { type: 'OpenServiceCall' }>, state: ServiceCallState, ctx: CommandContext): ServiceCallEvent[] {
  if (callExists(state)) throw new ConflictError(`service call ${state.id} already exists`, state.version);
  const { callId, trackingCode, input, process, slaPolicy } = command.data;
  const valid = validateOpenServiceCall(input, ctx.now);
  const phases = process.phases.map((p) => ({ key: p.key, name: p.name, steps: p.steps }));
  const sla = slaPolicy ? { sla: { policy: slaPolicy } } : {};
  return [
    {
      type: 'ServiceCallOpened',
      data: { callId, trackingCode, ...valid, process: { key: process.key, version: process.version, phases }, ...sla, at: ctx.now.toISOString() },
    },
  ];
}
