import { ServiceCall } from '@app/domain';
import { patched } from '@temporalio/workflow';
import { FoldedCall } from '../service-call/folded-call';
import type { ProcessCommand } from '../service-call/service-call.activities';
import { AFTERCARE_PATCHES } from './aftercare.patches';
import { commands } from './aftercare.proxies';

/**
 * The call as the aftercare knows it: its events folded in stream order (signals from the dispatcher,
 * its own commands' events, the stream to fill gaps), and how many resolutions it has seen (round n is
 * the n-th ServiceCallResolved of the stream).
 */
export class AftercareCall {
  readonly folded: FoldedCall;
  resolutions = 0;

  constructor(readonly callId: string) {
    this.folded = new FoldedCall(callId, (event) => {
      if (event.type === 'ServiceCallResolved') this.resolutions++;
    });
  }

  /** the call; a run never decides anything before its call is known */
  get call(): ServiceCall {
    const call = this.folded.call;
    if (!call) throw new Error(`call ${this.callId} not found`);
    return call;
  }

  /** resolved or closed: the aftercare's business */
  get inAftercare(): boolean {
    const call = this.folded.call;
    return call !== undefined && (call.status === 'RESOLVED' || call.status === 'CLOSED');
  }

  get hasGap(): boolean {
    return this.folded.hasGap;
  }

  /** whether this run applies the fixes of issue 18 (checked where they apply, so the markers stay where they were) */
  settles(): boolean {
    return patched(AFTERCARE_PATCHES.settles);
  }

  async catchUp(): Promise<void> {
    this.folded.receive(await commands.loadCallEvents(this.callId, this.folded.version));
  }

  // The awaits below are kept as the first aftercare wrote them: the order in which its concurrent
  // tasks issue commands within one activation depends on them, and replay must see the same order.

  /** Issues the command and folds the events it appended. */
  async issue(command: ProcessCommand, key: string): Promise<void> {
    this.folded.receive(await commands.issueCommand({ callId: this.callId, command, idempotencyKey: key }));
    await this.fillGap();
  }

  /** events waiting behind a version the run was not signalled (not an aftercare event): the stream has it */
  async fillGap(): Promise<void> {
    if (this.hasGap && this.settles()) await this.catchUp();
  }
}
