/**
 * The automations a process template may name in an automated step's `action`. The worker implements
 * each of them (apps/worker/src/actions); templates naming anything else are refused when defined.
 */
export const AUTOMATED_ACTIONS = [
  {
    name: 'review-customer-history',
    description: "summarises the customer's earlier calls (same e-mail or phone) as the step's outcome",
  },
  {
    name: 'notify-customer',
    description: 'tells the customer on their preferred channel that their call moved on',
  },
] as const;

export type AutomatedActionName = (typeof AUTOMATED_ACTIONS)[number]['name'];
export const AUTOMATED_ACTION_NAMES: readonly string[] = AUTOMATED_ACTIONS.map((a) => a.name);
