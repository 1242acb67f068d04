// The compose deployment ships no secret: every secret is `${VAR:?message}` (compose refuses to start without it),
// nothing defaults to a known value, and only the API is published (Temporal's gRPC and the UI server stay inside).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const compose = readFileSync(join(import.meta.dirname, '..', 'docker-compose.yml'), 'utf8');
const code = compose.split('\n').filter((line) => !line.trimStart().startsWith('#')).join('\n');

describe('docker-compose.yml', () => {
  it.each(['SESSION_SECRET', 'PAYLOAD_KEYS', 'POSTGRES_PASSWORD'])('%s is required, never defaulted', (name) => {
    const uses = [...code.matchAll(new RegExp(`\\$\\{${name}(:?[-?=+])?([^}]*)\\}`, 'g'))];
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) expect(use[1], `${use[0]} must be \${${name}:?…}`).toBe(':?');
  });

  it('holds no known secret and publishes only the API', () => {
    expect(code).not.toMatch(/change-me|(PASSWORD|PWD|SECRET|_KEYS?): +[^$\s"]/);
    const published = [...code.matchAll(/^\s+ports:\s*\n((?:\s+-\s*.+\n)+)/gm)].map((m) => m[1]!.trim());
    expect(published).toEqual(['- "3000:3000"']);
    expect(code).toMatch(/PAYLOAD_KEYS_REQUIRED: "true"/);
    expect(code).toMatch(/TEMPORAL_CODEC_ENDPOINT: .*\/codec/);
  });
});
