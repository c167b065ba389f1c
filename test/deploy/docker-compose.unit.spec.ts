/**
 * docker-compose.yml runs the deployed shape (issue 11): several API and worker replicas sharing no
 * file, the product's own PostgreSQL, Temporal with its own, and the event store chosen by
 * EVENTSTORE_CONNECTION_STRING (EventStoreDB by default, PostgreSQL by an override). No Docker engine
 * runs on the build machines, so this reads the file: each replica's environment, as Compose would
 * hand it over, must be one AppConfig accepts in deployed mode and must point at services that exist.
 *
 * No YAML parser is a dependency of the project, so the file is read by `readYaml` below: the subset
 * of YAML a compose file needs (block mappings and sequences, flow `[...]` and `{...}`, quoted
 * scalars, comments, anchors, aliases and `<<` merges). Anything else is refused with its line
 * number rather than read wrongly.
 */
import { AppConfig } from '@app/config';
import { eventStoreKind } from '@app/event-store';
import * as fs from 'node:fs';
import * as path from 'node:path';

type Yaml = string | null | Yaml[] | { [key: string]: Yaml };
type YamlMap = { [key: string]: Yaml };

const ROOT = path.resolve(__dirname, '../..');
const COMPOSE_TEXT = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const REPLICATED = ['api', 'worker'] as const;
/** what a replica needs in deployed mode: the list (AppConfig itself refuses a missing API_KEYS) */
const DEPLOYED_VARIABLES = ['PORT', 'EVENTSTORE_CONNECTION_STRING', 'DATABASE_URL', 'TEMPORAL_ADDRESS', 'API_KEYS'];

describe('docker-compose.yml: the deployed shape', () => {
  const compose = asMap(readYaml(COMPOSE_TEXT), 'the file');
  const services = asMap(compose.services, 'services');
  const service = (name: string): YamlMap => asMap(services[name], `services.${name}`);

  it.each(REPLICATED)('runs at least two %s replicas', (name) => {
    const replicas = Number(asMap(service(name).deploy, `${name}.deploy`).replicas);
    expect(replicas).toBeGreaterThanOrEqual(2);
  });

  it.each(REPLICATED)('gives each %s replica no volume: nothing is shared through files', (name) => {
    const s = service(name);
    expect(s.volumes).toBeUndefined();
    expect(s.volumes_from).toBeUndefined();
    // and nothing in the configuration points at a file either: the event store and the read models are servers
    const config = new AppConfig(environmentOf(s, {}));
    expect(eventStoreKind(config.eventStoreConnectionString)).not.toBe('sqlite');
    expect(config.databaseUrl).toBeDefined();
  });

  it.each(REPLICATED)('starts each %s replica with every variable AppConfig needs in deployed mode', (name) => {
    const env = environmentOf(service(name), {});
    for (const variable of DEPLOYED_VARIABLES) expect({ variable, value: env[variable] ?? '' }).toEqual({ variable, value: expect.stringMatching(/\S/) });
    const config = new AppConfig(env); // throws on anything missing or malformed
    expect(config.apiKeys.map((k) => k.role).sort()).toEqual(['AGENT', 'INTEGRATOR', 'MANAGER']);
    expect(config.apiKeys.map((k) => k.key)).not.toContain('dev-integrator-key');
    const temporal = hostAndPort(`temporal://${config.temporalAddress}`);
    expect(image(service(temporal.host))).toMatch(/^temporalio\/(auto-setup|server):/);
    expect(temporal.port).toBe('7233');
  });

  it('gives the worker a health port and checks it, and the API its /health', () => {
    const worker = service('worker');
    const port = environmentOf(worker, {}).WORKER_HEALTH_PORT;
    expect(port).toMatch(/^\d+$/);
    expect(new AppConfig(environmentOf(worker, {})).workerHealthPort).toBe(Number(port));
    expect(healthcheckCommand(worker)).toContain(`localhost:${port}/health`);
    const api = service('api');
    expect(healthcheckCommand(api)).toContain(`localhost:${environmentOf(api, {}).PORT}/health`);
  });

  it.each([
    ['api', 'PORT'],
    ['worker', 'WORKER_HEALTH_PORT'],
  ])('publishes a host port per %s replica (%s), never one fixed port for all', (name, variable) => {
    const s = service(name);
    const replicas = Number(asMap(s.deploy, `${name}.deploy`).replicas);
    const containerPort = environmentOf(s, {})[variable];
    const ports = asList(s.ports ?? [], `${name}.ports`).map((p) => asString(p, `${name}.ports`));
    expect(ports.length).toBeGreaterThan(0);
    for (const mapping of ports) {
      const m = /^(?:(?:[\d.]+:)?(\d+)(?:-(\d+))?:)?(\d+)(?:\/tcp)?$/.exec(mapping);
      expect({ mapping, valid: m !== null }).toEqual({ mapping, valid: true });
      const [, first, last, target] = m ?? [];
      expect(target).toBe(containerPort);
      // no host port: Docker picks one per container; a range: one each, as long as it has room for all
      if (first !== undefined) expect(Number(last ?? first) - Number(first) + 1).toBeGreaterThanOrEqual(replicas);
    }
  });

  it("keeps the product's data in a PostgreSQL of its own, not in Temporal's", () => {
    const url = new URL(environmentOf(service('api'), {}).DATABASE_URL ?? '');
    const db = postgresServiceAt(url);
    expect(dependsOn(service('api'))).toContain(db);
    expect(dependsOn(service('worker'))).toContain(db);
    const temporalDb = environmentOf(service('temporal'), {}).POSTGRES_SEEDS;
    expect(temporalDb).toBeDefined();
    expect(db).not.toBe(temporalDb);
  });

  it('chooses EventStoreDB by default', () => {
    for (const name of REPLICATED) {
      const config = new AppConfig(environmentOf(service(name), {}));
      expect(eventStoreKind(config.eventStoreConnectionString)).toBe('esdb');
      const { host, port } = hostAndPort(config.eventStoreConnectionString ?? '');
      expect(image(service(host))).toMatch(/^eventstore\/eventstore:/);
      expect(port).toBe('2113');
      expect(dependsOn(service(name))).toContain(host);
    }
  });

  it('chooses PostgreSQL with the EVENTSTORE_CONNECTION_STRING override its header and the README give', () => {
    const command = /^#\s*(EVENTSTORE_CONNECTION_STRING=(postgres:\/\/\S+) docker compose up --scale ([\w-]+)=0)\s*$/m.exec(COMPOSE_TEXT);
    expect(command).not.toBeNull();
    const [, line, override, skipped] = command ?? [];
    expect(README).toContain(line);
    const host = { EVENTSTORE_CONNECTION_STRING: override };
    const stores = REPLICATED.map((name) => new AppConfig(environmentOf(service(name), host)).eventStoreConnectionString);
    expect(stores).toEqual([override, override]); // every replica, the same log
    expect(eventStoreKind(override)).toBe('postgres');
    // the product's database (schema event_store beside the read models), which every replica waits for
    const db = postgresServiceAt(new URL(override));
    for (const name of REPLICATED) expect(dependsOn(service(name))).toContain(db);
    // the service scaled to 0 is EventStoreDB's, and nothing else needs it
    expect(image(service(skipped))).toMatch(/^eventstore\/eventstore:/);
    for (const [name, s] of Object.entries(services)) {
      if (!REPLICATED.includes(name as (typeof REPLICATED)[number])) expect({ name, dependsOnEventStore: dependsOn(asMap(s, name)).includes(skipped) }).toEqual({ name, dependsOnEventStore: false });
    }
  });

  it('gives the API and the worker the same configuration', () => {
    const api = environmentOf(service('api'), {});
    const worker = environmentOf(service('worker'), {});
    for (const variable of DEPLOYED_VARIABLES.filter((v) => v !== 'PORT')) expect({ variable, value: worker[variable] }).toEqual({ variable, value: api[variable] });
  });

  /** The PostgreSQL service a URL points at, whose user, password and database it matches. */
  function postgresServiceAt(url: URL): string {
    expect(url.protocol).toMatch(/^postgres(ql)?:$/);
    const s = service(url.hostname);
    expect(image(s)).toMatch(/^postgres:/);
    const env = environmentOf(s, {});
    expect(url.port || '5432').toBe('5432');
    expect(decodeURIComponent(url.username)).toBe(env.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(env.POSTGRES_PASSWORD);
    expect(url.pathname.slice(1)).toBe(env.POSTGRES_DB ?? env.POSTGRES_USER);
    return url.hostname;
  }
});

describe('readYaml, the YAML subset the compose file is read with', () => {
  it('reads mappings, sequences, flow collections, quoted scalars, anchors and merges', () => {
    const text = [
      '# a comment',
      'x-base: &base',
      '  A: "1"   # trailing comment',
      "  B: 'it''s # not a comment'",
      'svc:',
      '  deploy: { replicas: 2, labels: { a: b } }',
      '  ports: ["3000-3001:3000", x]',
      '  env:',
      '    <<: *base',
      '    A: overridden',
      '  list:',
      '  - one',
      '  - "two: 2"',
      '  same: *base',
      '  esc: "say \\"hi\\""',
      '  empty:',
    ].join('\n');
    expect(readYaml(text)).toEqual({
      'x-base': { A: '1', B: "it's # not a comment" },
      svc: {
        deploy: { replicas: '2', labels: { a: 'b' } },
        ports: ['3000-3001:3000', 'x'],
        env: { A: 'overridden', B: "it's # not a comment" },
        list: ['one', 'two: 2'],
        same: { A: '1', B: "it's # not a comment" },
        esc: 'say "hi"',
        empty: null,
      },
    });
  });

  it.each([
    ['a duplicate key', 'a: 1\na: 2'],
    ['an unknown alias', 'a: *nowhere'],
    ['a block scalar', 'a: |\n  text'],
    ['a mapping inside a block sequence item', 'a:\n  - b: 1'],
    ['an unclosed flow collection', 'a: [1, 2'],
    ['a tab in the indentation', 'a:\n\tb: 1'],
    ['a line at an unexpected indentation', 'a: 1\n  b: 2'],
  ])('refuses %s', (_what, text) => {
    expect(() => readYaml(text)).toThrow(/line \d+/);
  });
});

/** A service's environment as Compose hands it to the container, `${VAR:-default}` resolved against `host`. */
function environmentOf(service: YamlMap, host: Record<string, string>): Record<string, string | undefined> {
  const raw = service.environment ?? {};
  const entries: [string, string | null][] = Array.isArray(raw)
    ? raw.map((item) => {
        const [key, ...value] = asString(item, 'environment').split('=');
        return [key, value.length > 0 ? value.join('=') : null];
      })
    : Object.entries(asMap(raw, 'environment')).map(([key, value]) => [key, value === null ? null : asString(value, key)]);
  return Object.fromEntries(entries.map(([key, value]) => [key, value === null ? host[key] : interpolate(value, host)]));
}

/** Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}; any other form is refused. */
function interpolate(value: string, host: Record<string, string>): string {
  return value.replace(/\$(?:\$|\{([A-Za-z_]\w*)(?:(:?-)([^}]*))?\}|([A-Za-z_]\w*)|(\{[^}]*\}?))/g, (whole, name?: string, op?: string, fallback?: string, bare?: string, other?: string) => {
    if (whole === '$$') return '$';
    if (other !== undefined) throw new Error(`unsupported interpolation ${whole}`);
    const variable = name ?? bare ?? '';
    const set = host[variable];
    if (op === ':-') return set ? set : (fallback ?? '');
    if (op === '-') return set ?? fallback ?? '';
    return set ?? '';
  });
}

function dependsOn(service: YamlMap): string[] {
  const deps = service.depends_on;
  if (deps === undefined) return [];
  return Array.isArray(deps) ? deps.map((d) => asString(d, 'depends_on')) : Object.keys(asMap(deps, 'depends_on'));
}

function image(service: YamlMap): string {
  return asString(service.image ?? '', 'image');
}

function healthcheckCommand(service: YamlMap): string {
  const test = asMap(service.healthcheck, 'healthcheck').test;
  return Array.isArray(test) ? test.map((t) => asString(t, 'healthcheck.test')).join(' ') : asString(test ?? '', 'healthcheck.test');
}

function hostAndPort(url: string): { host: string; port: string } {
  const m = /^[a-z+]+:\/\/(?:[^@/]*@)?([^:/?]+):(\d+)/i.exec(url);
  if (!m) throw new Error(`no host:port in ${url}`);
  return { host: m[1], port: m[2] };
}

function asMap(value: Yaml | undefined, what: string): YamlMap {
  if (value === null || value === undefined || typeof value === 'string' || Array.isArray(value)) throw new Error(`${what} is not a mapping`);
  return value;
}

function asList(value: Yaml, what: string): Yaml[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a sequence`);
  return value;
}

function asString(value: Yaml, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} is not a scalar`);
  return value;
}

// ---------------------------------------------------------------------------------------------------
// readYaml: block mappings (`key: value`, `key:` + an indented block), block sequences of scalars or
// flow collections (`- value`), flow sequences and mappings, plain / "double" / 'single' quoted
// scalars (all read as strings; an empty value is null), comments, `&anchor`, `*alias` and `<<: *alias`.

interface YamlLine {
  no: number;
  indent: number;
  text: string;
}

function readYaml(source: string): Yaml {
  const lines: YamlLine[] = [];
  source.split(/\r?\n/).forEach((raw, index) => {
    const no = index + 1;
    const indentation = /^[ \t]*/.exec(raw)?.[0] ?? '';
    if (indentation.includes('\t') && raw.trim() !== '') throw new Error(`line ${no}: a tab in the indentation`);
    const text = stripComment(raw, no).trim();
    if (text !== '' && text !== '---') lines.push({ no, indent: indentation.length, text });
  });
  const anchors = new Map<string, Yaml>();
  let at = 0;

  const block = (indent: number): Yaml => (lines[at].text.startsWith('- ') || lines[at].text === '-' ? sequence(indent) : mapping(indent));

  function mapping(indent: number): YamlMap {
    const own: YamlMap = {};
    const merged: YamlMap[] = [];
    while (at < lines.length && lines[at].indent === indent && !lines[at].text.startsWith('-')) {
      const line = lines[at++];
      const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|<<|[A-Za-z0-9_.][\w.-]*)\s*:(?:\s+(.*))?$/.exec(line.text);
      if (!m) throw new Error(`line ${line.no}: not a "key: value" line: ${line.text}`);
      const key = m[1].startsWith('"') || m[1].startsWith("'") ? flow(m[1], line.no) : m[1];
      if (typeof key !== 'string') throw new Error(`line ${line.no}: a key must be a scalar`);
      const value = valueAfterKey(m[2] ?? '', indent, line);
      if (key === '<<') {
        const sources = Array.isArray(value) ? value : [value];
        for (const s of sources) merged.push(asMapAt(s, line.no));
        continue;
      }
      if (Object.hasOwn(own, key)) throw new Error(`line ${line.no}: duplicate key ${key}`);
      own[key] = value;
    }
    if (at < lines.length && lines[at].indent > indent) throw new Error(`line ${lines[at].no}: unexpected indentation`);
    return Object.assign({}, ...merged.reverse(), own) as YamlMap;
  }

  function sequence(indent: number): Yaml[] {
    const items: Yaml[] = [];
    while (at < lines.length && lines[at].indent === indent && (lines[at].text.startsWith('- ') || lines[at].text === '-')) {
      const line = lines[at++];
      const rest = line.text.slice(1).trim();
      if (/^[A-Za-z0-9_.<][\w.<-]*\s*:(\s|$)/.test(rest)) throw new Error(`line ${line.no}: a mapping inside a block sequence item is not supported`);
      if (rest === '') throw new Error(`line ${line.no}: an empty or nested block sequence item is not supported`);
      items.push(inlineValue(rest, line.no));
    }
    if (at < lines.length && lines[at].indent > indent) throw new Error(`line ${lines[at].no}: unexpected indentation`);
    return items;
  }

  function valueAfterKey(rest: string, indent: number, line: YamlLine): Yaml {
    let anchor: string | undefined;
    const a = /^&([\w-]+)\s*(.*)$/.exec(rest);
    if (a) [, anchor, rest] = a;
    let value: Yaml;
    if (rest !== '') value = inlineValue(rest, line.no);
    else if (at < lines.length && (lines[at].indent > indent || (lines[at].indent === indent && lines[at].text.startsWith('- ')))) value = block(lines[at].indent);
    else value = null;
    if (anchor !== undefined) anchors.set(anchor, value);
    return value;
  }

  function inlineValue(text: string, no: number): Yaml {
    const alias = /^\*([\w-]+)$/.exec(text);
    if (alias) {
      if (!anchors.has(alias[1])) throw new Error(`line ${no}: unknown alias *${alias[1]}`);
      return anchors.get(alias[1]) ?? null;
    }
    if (/^[|>!&*%@`]/.test(text)) throw new Error(`line ${no}: unsupported YAML: ${text}`);
    return flow(text, no);
  }

  const result = lines.length === 0 ? null : block(lines[0].indent);
  if (at < lines.length) throw new Error(`line ${lines[at].no}: unexpected indentation`);
  return result;
}

function asMapAt(value: Yaml, no: number): YamlMap {
  if (value === null || typeof value === 'string' || Array.isArray(value)) throw new Error(`line ${no}: << needs a mapping`);
  return value;
}

/** Cuts a `#` comment: at the line's start or after a space, outside quotes. */
function stripComment(line: string, no: number): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === '"' && c === '\\') i++;
    else if (quote === "'" && c === "'" && line[i + 1] === "'") i++; // '' is a quote inside '...'
    else if (quote !== null && c === quote) quote = null;
    else if (quote === null && (c === '"' || c === "'") && (i === 0 || /[\s:[{,-]/.test(line[i - 1]))) quote = c;
    else if (quote === null && c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  if (quote !== null) throw new Error(`line ${no}: an unclosed quote (multi-line scalars are not supported)`);
  return line;
}

/** A whole inline value: a flow sequence or mapping, a quoted scalar or a plain scalar to the end. */
function flow(text: string, no: number): Yaml {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`line ${no}: ${why} in ${text}`);
  };
  const space = (): void => {
    while (i < text.length && text[i] === ' ') i++;
  };
  const scalar = (inFlow: boolean): string => {
    if (text[i] === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i)) ?? fail('an unclosed "');
      i += m[0].length;
      return JSON.parse(m[0]) as string;
    }
    if (text[i] === "'") {
      const m = /^'(?:[^']|'')*'/.exec(text.slice(i)) ?? fail("an unclosed '");
      i += m[0].length;
      return m[0].slice(1, -1).replace(/''/g, "'");
    }
    const start = i;
    while (i < text.length && !(inFlow && /[,\]}]/.test(text[i])) && !(inFlow && text[i] === ':' && /[\s,\]}]/.test(text[i + 1] ?? ' '))) i++;
    const plain = text.slice(start, i).trim();
    if (plain === '' || /^[[\]{},]/.test(plain)) fail('an empty or malformed value');
    return plain;
  };
  const value = (inFlow: boolean): Yaml => {
    space();
    if (text[i] === '[') {
      i++;
      const items: Yaml[] = [];
      for (space(); text[i] !== ']'; space()) {
        if (i >= text.length) fail('an unclosed [');
        items.push(value(true));
        space();
        if (text[i] === ',') i++;
        else if (text[i] !== ']') fail('a missing , or ]');
      }
      i++;
      return items;
    }
    if (text[i] === '{') {
      i++;
      const map: YamlMap = {};
      for (space(); text[i] !== '}'; space()) {
        if (i >= text.length) fail('an unclosed {');
        const key = scalar(true);
        space();
        if (text[i] !== ':') fail(`a missing : after ${key}`);
        i++;
        if (Object.hasOwn(map, key)) fail(`duplicate key ${key}`);
        map[key] = value(true);
        space();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail('a missing , or }');
      }
      i++;
      return map;
    }
    return scalar(inFlow);
  };
  const result = value(false);
  space();
  if (i < text.length) fail('text after the value');
  return result;
}
