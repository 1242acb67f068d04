// The resolve Update's validator: what can be applied to the invoice's open task. It runs before the Update enters
// the history, so a refused resolution leaves no trace and the API answers 409.

import { isMotifCode, motifDefinition } from '../rules/motifs.js';
import { hasForbiddenCharacters } from '../rules/text.js';
import { TASK_ACTIONS, type TaskResolution } from './contract.js';


export function checkResolution(openTaskId: string | null, alreadyResolving: boolean, r: TaskResolution): void {
  if (!openTaskId || openTaskId !== r.taskId || alreadyResolving) {
    throw new Error(`task ${r.taskId} is not open (already resolved, or not this invoice's current task)`);
  }
  if (!TASK_ACTIONS.includes(r.action)) throw new Error(`action must be one of ${TASK_ACTIONS.join(', ')}`);
  if (r.action === 'reply') {
    if (!isMotifCode(r.motif)) throw new Error('a reply needs a motif code');
    if (motifDefinition(r.motif).waitsForDecision) throw new Error(`« ${motifDefinition(r.motif).label} » waits for a manager: choose the motif of the reply`);
  }
  if (!r.by) throw new Error('who resolves the task must be known');
  // Never stored (the API refuses them first).
  if (hasForbiddenCharacters(r.by) || (r.comment != null && hasForbiddenCharacters(r.comment, true))) {
    throw new Error('the comment and the name must not hold control characters');
  }
}
