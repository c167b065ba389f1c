import { CommandContext, ServiceCallCommand } from '../service-call/service-call.commands';
import { decide } from '../service-call/service-call.decider';
import { foldServiceCall } from '../service-call/service-call.evolve';
import { ServiceCallEvent } from '../service-call/service-call.events';
import { specLanguage } from './given-when-then';

/** `given(...history).when(command, ctx?).then(events)` / `.thenThrows(ErrorClass, { code, field, message })` for the service call. */
export const callSpecs = (defaultCtx: CommandContext) =>
  specLanguage((events: ServiceCallEvent[]) => foldServiceCall(events), (command: ServiceCallCommand, state, ctx: CommandContext) => decide(command, state, ctx), defaultCtx);
