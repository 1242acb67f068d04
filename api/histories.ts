// Workflow histories for exports, the timeline and replays: from the Temporal server while it keeps them, else from
// the archive (db/archive.ts) once the namespace's retention has dropped them. As stored, payloads are encrypted;
// `decodeHistory` decrypts them for the roles allowed to read personal data.

import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import { decodePayloadsInPlace } from '../activities/history-codec.js';
import type { ArchiveRepository } from '../db/archive.js';
import { withinDeadline } from './deadlines.js';

const { temporal } = proto;

export interface LoadedHistory {
  history: History;
  /** Where it was read: the Temporal server, or the archive (the server no longer has it). */
  source: 'temporal' | 'archive';
  runId: string | null;
  /** When the archived run closed (archive only). */
  closedAt: string | null;
}

const isNotFound = (error: unknown) =>
  error instanceof WorkflowNotFoundError || (error as { code?: unknown }).code === 5 /* gRPC NOT_FOUND */;

/** The history of a workflow's run (its latest run without `runId`); null when neither Temporal nor the archive has it. */
export async function loadHistory(
  deps: { client: Client; archive: Pick<ArchiveRepository, 'history'> }, timeoutMs: number, workflowId: string, runId?: string,
): Promise<LoadedHistory | null> {
  try {
    const history = await withinDeadline(deps.client, timeoutMs, () => deps.client.workflow.getHandle(workflowId, runId).fetchHistory());
    return { history, source: 'temporal', runId: runId ?? null, closedAt: null };
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const archived = await deps.archive.history(workflowId, runId);
  if (!archived) return null;
  return {
    history: temporal.api.history.v1.History.decode(archived.history), source: 'archive', runId: archived.run.runId, closedAt: archived.run.closedAt,
  };
}

/** Decrypts every payload of the history in place with the client's codecs; returns how many were. */
export function decodeHistory(client: Client, history: History): Promise<number> {
  return decodePayloadsInPlace(history, client.options.loadedDataConverter.payloadCodecs);
}
