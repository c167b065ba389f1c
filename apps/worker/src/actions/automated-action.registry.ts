import { AUTOMATED_ACTION_NAMES } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { AutomatedAction } from './automated-action';
import { NotifyCustomerAction } from './notify-customer.action';
import { ReviewCustomerHistoryAction } from './review-customer-history.action';

/** The automations the worker knows, by name: every one of the catalogue that templates may name. */
@Injectable()
export class AutomatedActionRegistry {
  private readonly actions: ReadonlyMap<string, AutomatedAction>;

  constructor(reviewCustomerHistory: ReviewCustomerHistoryAction, notifyCustomer: NotifyCustomerAction) {
    this.actions = actionsByName([reviewCustomerHistory, notifyCustomer]);
  }

  get(name: string): AutomatedAction | undefined {
    return this.actions.get(name);
  }

  get names(): string[] {
    return [...this.actions.keys()];
  }
}

/**
 * The actions by name, provided they cover the catalogue (libs/domain/src/process/automated-actions.ts):
 * a worker that lacks one would fail every call whose template names it, so it refuses to start instead.
 */
export function actionsByName(actions: readonly AutomatedAction[]): ReadonlyMap<string, AutomatedAction> {
  const byName = new Map(actions.map((a) => [a.name, a]));
  const missing = AUTOMATED_ACTION_NAMES.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    throw new Error(`the worker has no automated action ${missing.join(', ')} of the catalogue (AUTOMATED_ACTIONS); add it to AutomatedActionRegistry`);
  }
  return byName;
}
