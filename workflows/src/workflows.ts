// Entry point of the workflow bundle: every export here is a workflow type.
export { serviceCallWorkflow } from './service-call/service-call.workflow';
export { aftercareWorkflow } from './aftercare/aftercare.workflow';
