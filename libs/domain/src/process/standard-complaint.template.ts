import { ProcessTemplate } from './process-template';

/**
 * The built-in complaint procedure, after the classic complaint-handling guideline:
 * understand the problem, identify the cause, agree and carry out a solution.
 */
export const STANDARD_COMPLAINT: ProcessTemplate = {
  key: 'standard-complaint',
  version: 1,
  title: 'Standard complaint',
  department: 'Customer Service',
  purpose: 'Handle a customer complaint from first contact to an agreed, carried-out solution.',
  terms: [
    { term: 'Complaint', definition: 'A customer’s expression of dissatisfaction that expects a response.' },
    { term: 'Root cause', definition: 'The underlying reason the problem occurred, not its symptom.' },
  ],
  phases: [
    {
      key: 'intake',
      name: 'Understand the problem',
      steps: [
        {
          key: 'record-complaint',
          name: 'Record the complaint',
          instructions: 'Listen without interrupting; record what happened, when, and what the customer expects.',
          dependsOn: [],
          automated: false,
          role: 'agent',
          expectedDuration: 'PT15M',
        },
        {
          key: 'confirm-understanding',
          name: 'Confirm understanding with the customer',
          instructions: 'Repeat the key facts back to the customer and correct anything they dispute.',
          dependsOn: ['record-complaint'],
          automated: false,
          role: 'agent',
          expectedDuration: 'PT10M',
        },
      ],
    },
    {
      key: 'diagnosis',
      name: 'Identify the cause',
      steps: [
        {
          key: 'review-customer-history',
          name: 'Review the customer’s history',
          instructions: 'Gathered automatically: the customer’s earlier calls and how they ended.',
          dependsOn: [],
          automated: true,
          action: 'review-customer-history',
          expectedDuration: 'PT1M',
        },
        {
          key: 'inspect-problem',
          name: 'Inspect the problem',
          instructions: 'Examine the product or service concerned and document what you find.',
          dependsOn: [],
          automated: false,
          role: 'technician',
          expectedDuration: 'PT4H',
        },
        {
          key: 'identify-cause',
          name: 'Identify the cause',
          instructions: 'From the inspection and the history, name the root cause.',
          dependsOn: ['review-customer-history', 'inspect-problem'],
          automated: false,
          role: 'technician',
          expectedDuration: 'PT1H',
        },
      ],
    },
    {
      key: 'resolution',
      name: 'Solve the problem',
      steps: [
        {
          key: 'propose-solution',
          name: 'Propose a solution',
          instructions: 'Propose a remedy that addresses the root cause.',
          dependsOn: [],
          automated: false,
          role: 'agent',
          expectedDuration: 'PT30M',
        },
        {
          key: 'agree-solution',
          name: 'Agree the solution with the customer',
          instructions: 'Get the customer’s agreement; record what was agreed and by when.',
          dependsOn: ['propose-solution'],
          automated: false,
          role: 'agent',
          expectedDuration: 'PT30M',
        },
        {
          key: 'carry-out-solution',
          name: 'Carry out the solution',
          dependsOn: ['agree-solution'],
          automated: false,
          role: 'technician',
          expectedDuration: 'P1D',
        },
        {
          key: 'offer-compensation',
          name: 'Offer compensation',
          instructions: 'Offer a goodwill gesture proportionate to the inconvenience.',
          dependsOn: ['agree-solution'],
          automated: false,
          role: 'agent',
          expectedDuration: 'PT30M',
        },
        {
          key: 'confirm-with-customer',
          name: 'Confirm with the customer',
          instructions: 'Confirm the problem is solved to the customer’s satisfaction.',
          dependsOn: ['carry-out-solution', 'offer-compensation'],
          automated: false,
          role: 'agent',
          expectedDuration: 'PT15M',
        },
      ],
    },
  ],
};

/** Templates built into the product. Managers' own templates arrive with process-template definition. */
export const BUILT_IN_TEMPLATES: readonly ProcessTemplate[] = [STANDARD_COMPLAINT];
export const DEFAULT_PROCESS_KEY = STANDARD_COMPLAINT.key;
