import { ServiceCall } from '@app/domain';
import { ServiceCallSummariesStore } from '@app/read-models';
import { Injectable } from '@nestjs/common';
import { AutomatedAction } from './automated-action';

/** Gathers the customer's earlier calls (same e-mail or phone) from the read models into a summary. */
@Injectable()
export class ReviewCustomerHistoryAction implements AutomatedAction {
  readonly name = 'review-customer-history';

  constructor(private readonly summaries: ServiceCallSummariesStore) {}

  async run(call: ServiceCall): Promise<string> {
    const earlier = (await this.summaries.customerHistory(call.customer, call.id)).filter((c) => c.openedAt <= call.openedAt);
    return summariseHistory(earlier);
  }
}

export function summariseHistory(earlier: readonly ServiceCall[]): string {
  if (earlier.length === 0) return 'No earlier calls from this customer.';
  const byStatus = new Map<string, number>();
  for (const c of earlier) byStatus.set(c.status, (byStatus.get(c.status) ?? 0) + 1);
  const counts = [...byStatus].map(([status, n]) => `${n} ${status.toLowerCase().replace(/_/g, ' ')}`).join(', ');
  const lines = earlier
    .slice(0, 5)
    .map((c) => `- ${c.openedAt.slice(0, 10)} ${c.category}: "${c.summary}" (${c.status})`);
  return [`${earlier.length} earlier call${earlier.length === 1 ? '' : 's'} (${counts}); most recent first:`, ...lines].join('\n');
}
