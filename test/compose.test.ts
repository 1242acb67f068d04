// docker-compose.yml: the same topology as `npm run cluster` (two temporalio/server nodes of the version
// scripts/temporal-server.ts builds, running our template behind HAProxy, the schema and namespace jobs, the UI, two
// workers, the API), and it ships no secret: every secret is `${VAR:?message}` (compose refuses to start without
// it), nothing defaults to a known value, and only the API is published (Temporal's gRPC, the UI server and the
// metrics endpoints stay inside).
// The file is also handed to a real compose (`docker compose config`): skipped, with its reason, where no compose
// v2+ is installed; never in CI, where .ci/run builds one and sets COMPOSE_VALIDATOR_REQUIRED=1.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from '../scripts/temporal-server.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/contract.js';

const ROOT = join(import.meta.dirname, '..');
const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const code = compose.split('\n').filter((line) => !line.trimStart().startsWith('#')).join('\n');

/** The blocks under a key at `indent` spaces (top-level keys, services…), by name, comments left out. */
function blocks(text: string, indent: number): Map<string, string> {
  const out = new Map<string, string>();
  const key = new RegExp(`^ {${indent}}([A-Za-z0-9_.-]+):`);
  let name: string | null = null;
  let lines: string[] = [];
  for (const line of text.split('\n')) {
    const match = key.exec(line);
    if (match) {
      if (name) out.set(name, lines.join('\n'));
      name = match[1]!;
      lines = [line];
    } else if (name && (line.startsWith(' '.repeat(indent + 1)) || line.trim() === '')) {
      lines.push(line);
    } else if (name) {
      out.set(name, lines.join('\n'));
      name = null;
    }
  }
  if (name) out.set(name, lines.join('\n'));
  return out;
}

const top = blocks(code, 0);
const services = blocks(top.get('services') ?? '', 2);
const service = (name: string): string => {
  const block = services.get(name);
  if (!block) throw new Error(`no service « ${name} » in docker-compose.yml`);
  return block;
};

describe('docker-compose.yml', () => {
  it.each(['SESSION_SECRET', 'PAYLOAD_KEYS', 'POSTGRES_PASSWORD'])('%s is required, never defaulted', (name) => {
    const uses = [...code.matchAll(new RegExp(`\\$\\{${name}(:?[-?=+])?([^}]*)\\}`, 'g'))];
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) expect(use[1], `${use[0]} must be \${${name}:?…}`).toBe(':?');
  });

  it('holds no known secret and publishes only the API', () => {
    expect(code).not.toMatch(/change-me|(PASSWORD|PWD|SECRET|_KEYS?|TOKEN): +[^$\s"]/);
    // METRICS_TOKEN is optional, and empty unless given.
    for (const use of code.matchAll(/\$\{METRICS_TOKEN([^}]*)\}/g)) expect(use[1]).toBe(':-');
    const published = [...code.matchAll(/^\s+ports:\s*\n((?:\s+-\s*.+\n)+)/gm)].map((m) => m[1]!.trim());
    expect(published).toEqual(['- "3000:3000"']);
    expect([...services].filter(([, block]) => /^\s+(ports|expose):/m.test(block)).map(([name]) => name)).toEqual(['api']);
    expect(code).toMatch(/PAYLOAD_KEYS_REQUIRED: "true"/);
    expect(code).toMatch(/TEMPORAL_CODEC_ENDPOINT: .*\/codec/);
  });

  it('runs the production Temporal server on our template, never the development auto-setup image', () => {
    expect(code).not.toMatch(/auto-setup/);
    const temporal = service('temporal');
    expect(temporal).toMatch(new RegExp(`image: temporalio/server:\\$\\{TEMPORAL_VERSION:-${TEMPORAL_SERVER_VERSION.replaceAll('.', '\\.')}\\}\\n`));
    // The admin tools (schema tool, CLI) follow the server's version.
    expect(code).toMatch(new RegExp(`image: temporalio/admin-tools:\\$\\{TEMPORAL_ADMINTOOLS_VERSION:-\\$\\{TEMPORAL_VERSION:-${TEMPORAL_SERVER_VERSION.replaceAll('.', '\\.')}\\}\\}\\n`));
    expect(service('temporal-ui')).toMatch(new RegExp(`image: temporalio/ui:\\$\\{TEMPORAL_UI_VERSION:-${TEMPORAL_UI_VERSION.replaceAll('.', '\\.')}\\}\\n`));

    // deploy/temporal mounted read-only; the server's --config-file (its environment variable) is server.yaml in it.
    const mount = /- \.\/deploy\/temporal:(\/[^:\s]+):ro\n/.exec(temporal);
    expect(mount, 'deploy/temporal mounted read-only').not.toBeNull();
    expect(temporal).toContain(`TEMPORAL_SERVER_CONFIG_FILE_PATH: ${mount![1]}/server.yaml\n`);
    expect(temporal).toContain(`DYNAMIC_CONFIG_FILE_PATH: ${mount![1]}/dynamicconfig.yaml\n`);
    expect(readFileSync(join(ROOT, 'deploy', 'temporal', 'server.yaml'), 'utf8').split('\n')[0]).toBe('# enable-template');
    expect(existsSync(join(ROOT, 'deploy', 'temporal', 'dynamicconfig.yaml'))).toBe(true);
    // The image's entrypoint sets the broadcast address from the container's IP when binding 0.0.0.0.
    expect(temporal).toMatch(/BIND_ON_IP: 0\.0\.0\.0\n/);
    expect(temporal).not.toMatch(/TEMPORAL_BROADCAST_ADDRESS/);
    expect(temporal).toMatch(/TEMPORAL_ALLOW_NO_AUTH: "true"\n/);
    expect(temporal).toMatch(/PROMETHEUS_ENDPOINT: 0\.0\.0\.0:8000\n/);
    expect(temporal).toMatch(/TEMPORAL_FRONTEND_ADDRESS: haproxy:7233\n/);
    expect(temporal).toMatch(/deploy:\s*\n\s+replicas: 2\n/);
  });

  it('puts HAProxy in front of the nodes and every client behind it', () => {
    expect(service('haproxy')).toMatch(/image: haproxy:\$\{HAPROXY_VERSION:-3\.\d+\}\n/);
    const cfgName = /-f", "\/usr\/local\/etc\/haproxy\/([^"]+)"/.exec(service('haproxy'))?.[1];
    expect(cfgName).toBeDefined();
    expect(service('haproxy')).toMatch(/- \.\/deploy\/haproxy:\/usr\/local\/etc\/haproxy:ro\n/);
    const cfg = readFileSync(join(ROOT, 'deploy', 'haproxy', cfgName!), 'utf8');
    expect(cfg).toMatch(/nameserver \w+ 127\.0\.0\.11:53/);
    expect(cfg).toMatch(/server-template \w+ \d+ temporal:7233/);
    expect(cfg).toMatch(/bind :7233/);
    const addresses = [...code.matchAll(/TEMPORAL_(?:ADDRESS|FRONTEND_ADDRESS): (\S+)/g)].map((m) => m[1]);
    expect(addresses.length).toBeGreaterThanOrEqual(4);
    for (const address of addresses) expect(address).toBe('haproxy:7233');
    expect(service('temporal-ui')).toContain('TEMPORAL_ADDRESS: haproxy:7233');
    expect(service('api')).toMatch(/TEMPORAL_UI_URL: http:\/\/temporal-ui:8080\/temporal\n/);
  });

  it('creates and migrates Temporal\'s databases, then registers the namespace and the search attributes', () => {
    const schema = service('temporal-schema');
    for (const [db, name] of [['temporal', 'postgresql/v12/temporal'], ['temporal_visibility', 'postgresql/v12/visibility']]) {
      expect(schema).toContain(`temporal-sql-tool --db ${db} create-database\n`);
      expect(schema).toContain(`temporal-sql-tool --db ${db} setup-schema -v 0.0\n`);
      expect(schema).toContain(`temporal-sql-tool --db ${db} update-schema --schema-name ${name}\n`);
    }
    const namespace = service('temporal-namespace');
    expect(namespace).toMatch(/namespace describe --namespace default/);
    expect(namespace).toMatch(/namespace create --namespace default --retention/);
    // One --type per --name: the CLI pairs them.
    const created = [...namespace.matchAll(/--name (\w+) --type Keyword/g)].map((m) => m[1]);
    expect(created.sort()).toEqual(SEARCH_ATTRIBUTE_KEYS.map((k) => k.name).sort());
  });

  it('orders the start with health checks: schema → Temporal → namespace → workers and API', () => {
    for (const name of ['postgres', 'temporal', 'haproxy', 'api', 'worker']) {
      expect(service(name), `${name} has a health check`).toMatch(/^ {4}healthcheck:\n\s+test: /m);
    }
    expect(service('temporal')).toMatch(/temporal-schema:\s*\n\s+condition: service_completed_successfully/);
    expect(service('temporal-namespace')).toMatch(/temporal:\s*\n\s+condition: service_healthy/);
    // The workers and the API inherit these from x-app.
    const app = top.get('x-app') ?? '';
    expect(app).toMatch(/temporal:\s*\n\s+condition: service_healthy/);
    expect(app).toMatch(/temporal-namespace:\s*\n\s+condition: service_completed_successfully/);
    for (const name of ['api', 'worker']) expect(service(name)).toMatch(/<<: \*app\n/);
  });

  it('runs two workers with their metrics endpoint inside the network', () => {
    const worker = service('worker');
    expect(worker).toMatch(/deploy:\s*\n\s+replicas: 2\n/);
    expect(worker).toMatch(/WORKER_METRICS_PORT: (\d+)\n/);
    expect(worker).toContain(`127.0.0.1:${/WORKER_METRICS_PORT: (\d+)/.exec(worker)![1]}/metrics`);
  });
});

// ---- A real compose ----

interface Validator {
  command: string;
  args: string[];
  version: string;
}

function tryValidator(command: string, args: string[]): Validator | null {
  const result = spawnSync(command, [...args, 'version', '--short'], { encoding: 'utf8', timeout: 20_000 });
  if (result.status !== 0) return null;
  return { command, args, version: result.stdout.trim() };
}

/** Compose v2 and later read the Compose Specification; 1.x (Debian's docker-compose 1.29.2) refuses `name:`. */
const specCompliant = (v: Validator | null): v is Validator => !!v && !/^v?[01]\./.test(v.version);

/** `docker compose`, else the plugin's binary on its own (it runs standalone), else a `docker-compose` on the PATH. */
function findValidator(): Validator | null {
  const configDir = process.env.DOCKER_CONFIG || join(homedir(), '.docker');
  const candidates: (() => Validator | null)[] = [
    () => tryValidator('docker', ['compose']),
    ...[join(configDir, 'cli-plugins', 'docker-compose'), '/usr/local/lib/docker/cli-plugins/docker-compose',
      '/usr/libexec/docker/cli-plugins/docker-compose'].map((path) => () => (existsSync(path) ? tryValidator(path, []) : null)),
    () => tryValidator('docker-compose', []),
  ];
  for (const candidate of candidates) {
    const found = candidate();
    if (specCompliant(found)) return found;
  }
  return null;
}

const validator = findValidator();
const required = process.env.COMPOSE_VALIDATOR_REQUIRED === '1';
const ABSENT = 'no docker compose v2+ on this machine (.ci/run builds one)';
/** Dummy values, only ever on these command lines. */
const DUMMY_SECRETS = { POSTGRES_PASSWORD: 'x', SESSION_SECRET: 'x'.repeat(48), PAYLOAD_KEYS: `k-test:${Buffer.alloc(32).toString('base64')}` };

function runCompose(args: string[], env: Record<string, string | undefined>) {
  const clean = { ...process.env };
  // The file's defaults, not this shell's overrides.
  for (const name of ['POSTGRES_PASSWORD', 'SESSION_SECRET', 'PAYLOAD_KEYS', 'METRICS_TOKEN', 'COMPOSE_FILE', 'COMPOSE_PROJECT_NAME',
    'COMPOSE_PROFILES', 'TEMPORAL_VERSION', 'TEMPORAL_ADMINTOOLS_VERSION', 'TEMPORAL_UI_VERSION', 'PUBLIC_URL']) delete clean[name];
  return spawnSync(validator!.command, [...validator!.args, '--project-directory', ROOT, '-f', join(ROOT, 'docker-compose.yml'), ...args], {
    encoding: 'utf8', cwd: ROOT, timeout: 60_000, env: { ...clean, ...env },
  });
}

describe(`docker compose config${validator ? ` (${validator.version})` : ''}`, () => {
  it('is present wherever COMPOSE_VALIDATOR_REQUIRED=1 (CI)', (context) => {
    if (!required && !validator) return context.skip(ABSENT);
    expect(validator, 'docker compose v2+ (or its plugin binary) must be installed: .ci/run builds it').not.toBeNull();
  });

  it('parses the file with the secrets given, and refuses it without each of them', (context) => {
    if (!validator) return context.skip(ABSENT);
    const ok = runCompose(['config', '-q'], DUMMY_SECRETS);
    expect(ok.status, ok.stderr).toBe(0);
    for (const name of Object.keys(DUMMY_SECRETS)) {
      const refused = runCompose(['config', '-q'], { ...DUMMY_SECRETS, [name]: undefined });
      expect(refused.status, `config without ${name}`).not.toBe(0);
      expect(refused.stderr).toContain(`set ${name}`);
    }
  });

  it('resolves to the topology: two nodes and two workers, health checks, only the API published', (context) => {
    if (!validator) return context.skip(ABSENT);
    const result = runCompose(['config', '--format', 'json'], DUMMY_SECRETS);
    expect(result.status, result.stderr).toBe(0);
    type Service = {
      image?: string; deploy?: { replicas?: number }; healthcheck?: { test?: string[] };
      ports?: { target: number; published: string }[]; environment?: Record<string, string | null>;
      volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
      depends_on?: Record<string, { condition: string }>;
    };
    const model = JSON.parse(result.stdout) as { name: string; services: Record<string, Service> };
    const s = model.services;
    expect(model.name).toBe('tp-rejects');
    expect(Object.keys(s).sort()).toEqual(['api', 'haproxy', 'postgres', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker']);
    expect(s.temporal!.image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    expect(s['temporal-schema']!.image).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
    expect(runCompose(['config', '--images'], { ...DUMMY_SECRETS, TEMPORAL_VERSION: '9.9.9' }).stdout.split('\n'))
      .toEqual(expect.arrayContaining(['temporalio/server:9.9.9', 'temporalio/admin-tools:9.9.9']));
    expect(s['temporal-ui']!.image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
    expect(s.temporal!.deploy?.replicas).toBe(2);
    expect(s.worker!.deploy?.replicas).toBe(2);
    const template = s.temporal!.volumes?.find((v) => v.source === join(ROOT, 'deploy', 'temporal'));
    expect(template?.read_only).toBe(true);
    expect(s.temporal!.environment?.TEMPORAL_SERVER_CONFIG_FILE_PATH).toBe(`${template!.target}/server.yaml`);
    for (const name of ['postgres', 'temporal', 'haproxy', 'api', 'worker']) expect(s[name]!.healthcheck?.test?.length, name).toBeGreaterThan(0);
    const published = Object.entries(s).flatMap(([name, svc]) => (svc.ports ?? []).map((p) => `${name} ${p.published}:${p.target}`));
    expect(published).toEqual(['api 3000:3000']);
    for (const name of ['api', 'worker']) {
      expect(s[name]!.depends_on?.temporal?.condition).toBe('service_healthy');
      expect(s[name]!.depends_on?.['temporal-namespace']?.condition).toBe('service_completed_successfully');
      expect(s[name]!.environment?.TEMPORAL_ADDRESS).toBe('haproxy:7233');
      expect(s[name]!.environment?.PAYLOAD_KEYS_REQUIRED).toBe('true');
    }
    expect(s.temporal!.depends_on?.['temporal-schema']?.condition).toBe('service_completed_successfully');
  });
});
