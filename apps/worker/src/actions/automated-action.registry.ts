import { Injectable } from '@nestjs/common';
import { AutomatedAction } from './automated-action';
import { ReviewCustomerHistoryAction } from './review-customer-history.action';

/** The automations the worker knows, by name. */
@Injectable()
export class AutomatedActionRegistry {
  private readonly actions: ReadonlyMap<string, AutomatedAction>;

  constructor(reviewCustomerHistory: ReviewCustomerHistoryAction) {
    this.actions = new Map([reviewCustomerHistory].map((a) => [a.name, a]));
  }

  get(name: string): AutomatedAction | undefined {
    return this.actions.get(name);
  }

  get names(): string[] {
    return [...this.actions.keys()];
  }
}
