// The retention schedules' workflows (activities/archive.ts): archive the closed histories, purge the old archives.
// One activity each; a failed run is retried by the activity's policy, and the next tick starts afresh.

import { proxyActivities } from '@temporalio/workflow';
import type { createArchiveActivities } from '../activities/archive.js';

type Activities = ReturnType<typeof createArchiveActivities>;

const housekeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', maximumAttempts: 5 },
});

export async function archiveHistoriesWorkflow(): Promise<{ archived: number; seen: number }> {
  return housekeeping.archiveClosedHistories();
}

export async function purgeArchivesWorkflow(): Promise<{ purged: number; before: string }> {
  return housekeeping.purgeArchivedHistories();
}
