// Archiving and purging workflow histories (issue: retention). Temporal drops a closed workflow's history after the
// namespace's retention; the auditor still exports and replays it years later, from archived_histories.
//   archiveClosedHistories  every closed invoice and batch run not archived yet, its history as read from the
//                           server (payloads still encrypted), from the last archived close time on
//   purgeArchivedHistories  the runs closed more than ARCHIVE_RETENTION ago, deleted — and the purge audited
// Both run from Temporal Schedules (ensureArchiveSchedules), each as a one-activity workflow (workflows/archive.ts).

import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { ArchiveRepository } from '../db/archive.js';
import { SYSTEM_ACTOR, type AuditLog } from '../db/audit.js';
import { activityLog, runningActivity } from './context.js';

const { temporal } = proto;

/** The workflow types whose histories are archived. */
export const ARCHIVED_TYPES = ['invoiceWorkflow', 'batchWorkflow'] as const;
/** Visibility is eventually consistent: each sweep starts this long before the last archived close time. */
const OVERLAP_MS = 10 * 60_000;
/** With nothing archived yet, how far back the first sweep looks. */
export const FIRST_SWEEP_MS = 30 * 86_400_000;
/** Default ARCHIVE_RETENTION: ten years. */
export const DEFAULT_ARCHIVE_RETENTION_MS = 3650 * 86_400_000;

export interface ArchiveDependencies {
  archive: ArchiveRepository;
  audit: AuditLog;
  /** A client reading histories as stored (fetchHistory never decodes: the archive keeps the ciphertext). */
  temporal: Client;
  /** How long an archived history is kept after its workflow closed. */
  archiveRetentionMs: number;
  /** Only the workflows of this task queue (ARCHIVE_TASK_QUEUE: deployments sharing a namespace); default all. */
  taskQueue?: string;
}

const STATUS_NAMES: Record<string, string> = { COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled', TERMINATED: 'terminated', CONTINUED_AS_NEW: 'continued_as_new', TIMED_OUT: 'timed_out' };

/** One closed run's history, protobuf-encoded, as the server keeps it. */
export async function rawHistory(client: Client, workflowId: string, runId: string): Promise<{ bytes: Uint8Array; events: number }> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return { bytes: temporal.api.history.v1.History.encode(history).finish(), events: history.events?.length ?? 0 };
}

/** Heartbeats when running as an activity; a no-op when called directly (a test, a script). */
function beat(details: unknown): void {
  runningActivity()?.heartbeat(details);
}

export function createArchiveActivities(deps: ArchiveDependencies, now: () => Date = () => new Date()) {
  return {
    async archiveClosedHistories(): Promise<{ archived: number; seen: number }> {
      const watermark = await deps.archive.watermark();
      const since = new Date((watermark?.getTime() ?? now().getTime() - FIRST_SWEEP_MS) - OVERLAP_MS);
      const types = ARCHIVED_TYPES.map((t) => `'${t}'`).join(', ');
      const scope = deps.taskQueue ? ` AND TaskQueue = '${deps.taskQueue.replace(/'/g, '')}'` : '';
      const query = `WorkflowType IN (${types}) AND ExecutionStatus != 'Running' AND CloseTime >= '${since.toISOString()}'${scope}`;
      let archived = 0;
      let seen = 0;
      let page: { workflowId: string; runId: string; type: string; closeTime: Date; status: string }[] = [];
      const flush = async () => {
        for (const run of await deps.archive.missing(page)) {
          const item = page.find((p) => p.runId === run.runId)!;
          const { bytes, events } = await rawHistory(deps.temporal, item.workflowId, item.runId);
          await deps.archive.store({
            workflowId: item.workflowId, runId: item.runId, workflowType: item.type, closedAt: item.closeTime,
            status: item.status, history: bytes, events,
          });
          archived++;
          beat({ archived });
        }
        page = [];
      };
      for await (const wf of deps.temporal.workflow.list({ query, pageSize: 200 })) {
        if (!wf.closeTime) continue;
        seen++;
        page.push({ workflowId: wf.workflowId, runId: wf.runId, type: wf.type, closeTime: wf.closeTime, status: STATUS_NAMES[wf.status.name] ?? wf.status.name.toLowerCase() });
        if (page.length >= 200) await flush();
      }
      await flush();
      if (archived > 0) activityLog().info(`archive: ${archived} closed runs archived (${seen} seen)`, { archived, seen });
      return { archived, seen };
    },

    async purgeArchivedHistories(): Promise<{ purged: number; before: string }> {
      const before = new Date(now().getTime() - deps.archiveRetentionMs);
      const result = await deps.archive.purge(before);
      // Recorded even when nothing went: the audit shows the purge ran, and on which retention.
      await deps.audit.record({
        actor: SYSTEM_ACTOR, action: 'archive.purge', target: null,
        details: { ...result, before: before.toISOString(), retentionDays: Math.round(deps.archiveRetentionMs / 86_400_000) },
      });
      activityLog().info(`archive: ${result.purged} archived histories purged (closed before ${before.toISOString()})`, { purged: result.purged, before: before.toISOString() });
      return { purged: result.purged, before: before.toISOString() };
    },
  };
}

/** The schedules' ids: one pair per task queue (`tp-rejects-archive-histories`, `tp-rejects-purge-archives`). */
export const archiveScheduleIds = (taskQueue: string) => ({ archive: `${taskQueue}-archive-histories`, purge: `${taskQueue}-purge-archives` });

/** Creates the two schedules when missing (every process starting a worker calls it; the first one wins). */
export async function ensureArchiveSchedules(client: Client, taskQueue: string, options: { archiveEvery?: string; purgeEvery?: string } = {}): Promise<void> {
  const ids = archiveScheduleIds(taskQueue);
  const schedules = [
    { scheduleId: ids.archive, workflowType: 'archiveHistoriesWorkflow', every: options.archiveEvery ?? '1 minute' },
    { scheduleId: ids.purge, workflowType: 'purgeArchivesWorkflow', every: options.purgeEvery ?? '1 day' },
  ];
  for (const s of schedules) {
    try {
      await client.schedule.create({
        scheduleId: s.scheduleId,
        spec: { intervals: [{ every: s.every as never }] },
        action: { type: 'startWorkflow', workflowType: s.workflowType, taskQueue, workflowId: s.scheduleId },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    }
  }
}
