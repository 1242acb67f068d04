import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTemporalCli, freePort, SEARCH_ATTRIBUTES, startDevServer } from './temporal-cli.js';
import { loadConfig } from '../config.js';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the run\'s Temporal dev server', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('answers GetSystemInfo', async () => {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^\d+\.\d+/);
    expect(info.capabilities?.signalAndQueryHeader).toBe(true);
  });

  it('has the default namespace and the invoice search attributes', async () => {
    const namespace = await connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(namespace.namespaceInfo?.name).toBe('default');
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const name of Object.keys(SEARCH_ATTRIBUTES)) {
      expect(customAttributes?.[name], name).toBe(2); // INDEXED_VALUE_TYPE_KEYWORD
    }
  });
});

describe('startDevServer', () => {
  it('starts a headless server with its own namespace, and stop() frees the port', async () => {
    const binary = await ensureTemporalCli(() => undefined, loadConfig(process.env).tools);
    if (!binary) return; // no CLI on this machine: the SDK's download is covered by the global setup
    const port = await freePort();
    const server = await startDevServer({ binary, port, uiPort: false, namespace: 'tp-rejects-test', log: () => undefined });
    try {
      expect(server).toMatchObject({ address: `127.0.0.1:${port}`, uiUrl: null, namespace: 'tp-rejects-test' });
      const connection = await Connection.connect({ address: server.address });
      const described = await connection.workflowService.describeNamespace({ namespace: 'tp-rejects-test' });
      expect(described.namespaceInfo?.name).toBe('tp-rejects-test');
      await connection.close();
    } finally {
      await server.stop();
    }
    expect(await portOpen(port)).toBe(false);
  });

  it('reports a binary that cannot run', async () => {
    const port = await freePort();
    await expect(startDevServer({ binary: '/nonexistent/temporal', port, uiPort: false, log: () => undefined }))
      .rejects.toThrow(/cannot run \/nonexistent\/temporal/);
  });

  it('refuses a port already in use rather than talking to another server', async () => {
    const squatter = createServer().listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const busy = (squatter.address() as AddressInfo).port;
    try {
      await expect(startDevServer({ binary: '/nonexistent/temporal', port: busy, uiPort: false, log: () => undefined }))
        .rejects.toThrow(/cannot start the Temporal dev server on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      squatter.close();
    }
  });
});
