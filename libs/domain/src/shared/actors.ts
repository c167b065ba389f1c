/**
 * The actors the system itself acts as (people and integrators are `apikey:<name>`). One module, so a
 * rule about "the system" (who may record SLA states, whose actions are no first response) names them
 * from one place.
 */

/** Start-up work: the built-in process templates and the default SLA policy. */
export const SYSTEM_ACTOR = 'system';
/** A call's process manager (its Temporal workflow and the worker's activities for it). */
export const WORKFLOW_ACTOR = 'workflow';
/** The worker's router when it serves the queue or takes calls off an absent agent (its events go to the call's workflow). */
export const ROUTING_ACTOR = 'routing';

