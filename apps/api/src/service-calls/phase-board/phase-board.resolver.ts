import { formatIsoDuration, LIMITS, requiredText, ValidationError } from '@app/domain';
import { PhaseBoard as PhaseBoardView, PhaseBoardStore } from '@app/read-models';
import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import { Roles } from '../../auth/roles.decorator';
import { PhaseBoard } from './phase-board.model';

export const MAX_OVERDUE_CALLS = 200;

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : formatIsoDuration(ms));

@Resolver(() => PhaseBoard)
export class PhaseBoardResolver {
  constructor(private readonly board: PhaseBoardStore) {}

  @Query(() => PhaseBoard, { description: 'MANAGER: for each phase of the latest template version, the calls in it, their steps, times and overdue calls' })
  @Roles('MANAGER')
  async phaseBoard(
    @Args('processKey') processKey: string,
    @Args('overdueFirst', { type: () => Int, nullable: true, defaultValue: 50, description: 'how many overdue calls to list per phase' })
    overdueFirst: number = 50,
  ): Promise<PhaseBoard> {
    const key = requiredText('processKey', processKey, LIMITS.key);
    if (overdueFirst < 0 || overdueFirst > MAX_OVERDUE_CALLS) {
      throw new ValidationError('overdueFirst', `overdueFirst must be between 0 and ${MAX_OVERDUE_CALLS}`);
    }
    // "now" is the clock at query time; the read model holds only due times, so it stays a pure projection
    return toGraphQL(await this.board.board(key, new Date(), overdueFirst));
  }
}

function toGraphQL(board: PhaseBoardView): PhaseBoard {
  return {
    ...board,
    phases: board.phases.map(({ medianMs, p90Ms, expectedMs, overdueCalls, ...phase }) => ({
      ...phase,
      medianSeconds: seconds(medianMs),
      medianDuration: iso(medianMs),
      p90Seconds: seconds(p90Ms),
      p90Duration: iso(p90Ms),
      expectedDuration: iso(expectedMs),
      overdueCalls: overdueCalls.map(({ overdueMs, ...call }) => ({ ...call, overdueSeconds: overdueMs / 1000, overdueBy: formatIsoDuration(overdueMs) })),
    })),
  };
}
