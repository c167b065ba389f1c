// What other parts of the product may import from workflows/: messages and activity types, never workflow code.
export * from './service-call/service-call.messages';
export * from './service-call/service-call.activities';
export type { serviceCallWorkflow } from './service-call/service-call.workflow';
export * from './aftercare/aftercare.messages';
export type { aftercareWorkflow } from './aftercare/aftercare.workflow';
