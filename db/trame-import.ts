// What a Trame re-import needs to know of the manager tasks, a page of critères at a time (one query per page).
// Apart from db/tasks.ts so that the import reads many invoices' tasks at once.

import { and, asc, eq, inArray } from 'drizzle-orm';
import { motifDefinition } from '../rules/motifs.js';
import type { MotifCode } from '../rules/types.js';
import type { Database } from './client.js';
import { managerTasks } from './schema.js';

export interface OpenTask {
  id: string;
  archiveKey: string;
  workflowId: string;
  motifLabel: string;
  /** « A contrôler », « Manque Consigne »: a decision taken in the console, not a close. */
  waitsForDecision: boolean;
  /** Who claimed it, if anyone. */
  assignee: string | null;
}

/** The open task of each of these invoices (the latest when several are), by critère d'archivage. */
export async function openTasksOf(db: Database, archiveKeys: string[]): Promise<Map<string, OpenTask>> {
  const found = new Map<string, OpenTask>();
  if (archiveKeys.length === 0) return found;
  const rows = await db.select({
    id: managerTasks.id, archiveKey: managerTasks.archiveKey, workflowId: managerTasks.workflowId,
    motif: managerTasks.motif, assignee: managerTasks.assignee,
  }).from(managerTasks)
    .where(and(inArray(managerTasks.archiveKey, archiveKeys), eq(managerTasks.status, 'open')))
    .orderBy(asc(managerTasks.createdAt), asc(managerTasks.id));
  for (const row of rows) {
    const motif = motifDefinition(row.motif as MotifCode);
    found.set(row.archiveKey, {
      id: row.id, archiveKey: row.archiveKey, workflowId: row.workflowId, motifLabel: motif.label,
      waitsForDecision: motif.waitsForDecision, assignee: row.assignee,
    });
  }
  return found;
}
