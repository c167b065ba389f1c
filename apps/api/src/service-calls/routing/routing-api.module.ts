import { Module } from '@nestjs/common';
import { CallResults } from '../call-results.service';
import { RoutingResolver, ServiceCallRoutingFieldsResolver } from './routing.resolver';

/** Routing over GraphQL: manual assignment, reroute, callback requests, the waiting queue, and the call's routing fields. */
@Module({ providers: [CallResults, RoutingResolver, ServiceCallRoutingFieldsResolver] })
export class RoutingApiModule {}
