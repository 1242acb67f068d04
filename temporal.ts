// Temporal plumbing shared by the processes (the worker, the API, the CLIs): the data converter, clients, search attributes.

import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadConfig, type Config, type Environment } from './config.js';
import { dataConverterFor, loadKeyring } from './activities/encryption.js';
import { SEARCH_ATTRIBUTE_KEYS } from './workflows/contract.js';

const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

/**
 * The data converter every process shares (activities/encryption.ts): payloads encrypted with the keyring of
 * PAYLOAD_KEYS / PAYLOAD_KEYS_FILE, else the one generated under DATA_DIR (embedded default).
 */
export function dataConverterOf(config: Pick<Config, 'payloadKeys' | 'dataDir'>): DataConverter {
  return dataConverterFor(loadKeyring({ ...config.payloadKeys, dataDir: config.dataDir }));
}

/** The data converter of an environment (tests, benchmarks): dataConverterOf(loadConfig(env)). */
export function dataConverterFromEnv(env: Environment): DataConverter {
  return dataConverterOf(loadConfig(env));
}

/** A Temporal client that encrypts what it sends and decrypts what it reads. */
export function temporalClient(connection: Connection, options: { namespace?: string; dataConverter: DataConverter }): Client {
  return new Client({ connection, namespace: options.namespace ?? 'default', dataConverter: options.dataConverter });
}

/** Registers the invoice workflows' search attributes when the server lacks them (a fresh cluster). */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTE_KEYS.filter((k) => !(customAttributes && k.name in customAttributes));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, KEYWORD])),
  });
}
