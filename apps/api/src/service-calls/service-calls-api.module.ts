import { Module } from '@nestjs/common';
import { CallResults } from './call-results.service';
import { CompleteStepResolver } from './complete-step/complete-step.resolver';
import { OpenServiceCallResolver } from './open-service-call/open-service-call.resolver';
import { PhaseBoardResolver } from './phase-board/phase-board.resolver';
import { PhaseResolver, ServiceCallResolver } from './queries/service-call.resolver';
import { AftercareResolver } from './aftercare/aftercare.resolver';
import { AddNoteResolver } from './notes/add-note.resolver';
import { StartStepResolver } from './start-step/start-step.resolver';
import { StepExceptionsResolver } from './step-exceptions/step-exceptions.resolver';
import { TrackServiceCallResolver } from './track-service-call/track-service-call.resolver';

@Module({
  providers: [
    CallResults,
    OpenServiceCallResolver,
    StartStepResolver,
    CompleteStepResolver,
    StepExceptionsResolver,
    AddNoteResolver,
    AftercareResolver,
    ServiceCallResolver,
    PhaseResolver,
    PhaseBoardResolver,
    TrackServiceCallResolver,
  ],
})
export class ServiceCallsApiModule {}
