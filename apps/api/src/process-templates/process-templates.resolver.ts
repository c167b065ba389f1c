import { ApiKey } from '@app/config';
import { LIMITS, optionalText, ProcessTemplate as DomainProcessTemplate } from '@app/domain';
import { CategoryProcess as StoredCategoryProcess, ProcessTemplatesStore } from '@app/read-models';
import { DefineProcessTemplateCommand, SetCategoryProcessCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { actorOf, Caller } from '../auth/caller.decorator';
import { READ_ROLES, Roles } from '../auth/roles.decorator';
import { DefineProcessTemplateInput } from './define-process-template.input';
import { CategoryProcess, ProcessTemplate } from './process-template.model';
import { TemplateResults } from './template-results.service';

@Resolver(() => ProcessTemplate)
export class ProcessTemplatesResolver {
  constructor(
    private readonly templates: ProcessTemplatesStore,
    private readonly commandBus: CommandBus,
    private readonly results: TemplateResults,
  ) {}

  @Query(() => [ProcessTemplate], { description: 'the latest version of each template, by key' })
  @Roles(...READ_ROLES)
  processTemplates(): Promise<DomainProcessTemplate[]> {
    return this.templates.allLatest();
  }

  @Query(() => ProcessTemplate, { nullable: true, description: 'latest when version is omitted; null when there is no such template or version' })
  @Roles(...READ_ROLES)
  async processTemplate(
    @Args('key') key: string,
    @Args('version', { type: () => Int, nullable: true }) version?: number,
  ): Promise<DomainProcessTemplate | null> {
    const found = version === undefined || version === null ? await this.templates.latest(key) : await this.templates.byVersion(key, version);
    return found ?? null;
  }

  @Query(() => [ProcessTemplate], { description: 'every version of one template, oldest first; [] for an unknown key' })
  @Roles(...READ_ROLES)
  processTemplateVersions(@Args('key') key: string): Promise<DomainProcessTemplate[]> {
    return this.templates.versions(key);
  }

  @Query(() => [CategoryProcess], { description: 'the template each mapped call category runs, by category' })
  @Roles(...READ_ROLES)
  categoryProcesses(): Promise<StoredCategoryProcess[]> {
    return this.templates.categoryMappings();
  }

  @Mutation(() => ProcessTemplate, { description: 'Defines a process template; an existing key gets its next version. Running calls keep theirs.' })
  @Roles('MANAGER')
  async defineProcessTemplate(@Args('input') input: DefineProcessTemplateInput, @Caller() caller: ApiKey): Promise<DomainProcessTemplate> {
    const { idempotencyKey, expectedVersion, ...template } = input;
    const options = {
      actor: actorOf(caller),
      idempotencyKey: optionalText('idempotencyKey', idempotencyKey, LIMITS.key),
      expectedVersion: expectedVersion ?? undefined,
    };
    const result = await this.commandBus.execute(new DefineProcessTemplateCommand(template, options));
    return this.results.settle(result.position, result.template);
  }

  @Mutation(() => Boolean, { description: 'Calls of this category (any case) run this template from now on, unless the call names one. true once in place.' })
  @Roles('MANAGER')
  async setCategoryProcess(@Args('category') category: string, @Args('processKey') processKey: string, @Caller() caller: ApiKey): Promise<boolean> {
    const result = await this.commandBus.execute(new SetCategoryProcessCommand(category, processKey, { actor: actorOf(caller) }));
    return this.results.settle(result.position, true);
  }
}
