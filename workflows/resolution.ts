// A claim's manager decisions: the resolve Update's validator, and the Update's protocol (received, applied,
// answered). The validator runs before the Update enters the history, so a refused resolution leaves no trace and
// the API answers 409 (its messages are the console's: in French).

import { condition, setHandler } from '@temporalio/workflow';
import { isMotifCode, motifDefinition } from '../rules/motifs.js';
import { hasForbiddenCharacters } from '../rules/text.js';
import {
  resolveTaskUpdate, TASK_ACTIONS, type InvoiceStatus, type ResolutionOutcome, type TaskResolution,
} from './contract.js';


export function checkResolution(openTaskId: string | null, alreadyResolving: boolean, r: TaskResolution): void {
  if (!openTaskId || openTaskId !== r.taskId || alreadyResolving) {
    throw new Error(`la tâche ${r.taskId} n'est pas ouverte (déjà résolue, ou pas la tâche en cours de cette facture)`);
  }
  if (!TASK_ACTIONS.includes(r.action)) throw new Error(`l'action doit être l'une de : ${TASK_ACTIONS.join(', ')}`);
  if (r.action === 'reply') {
    if (!isMotifCode(r.motif)) throw new Error('une réponse au PS demande un code de motif');
    if (motifDefinition(r.motif).waitsForDecision) throw new Error(`« ${motifDefinition(r.motif).label} » attend la décision d'un gestionnaire : choisissez le motif de la réponse`);
  }
  if (!r.by) throw new Error('il faut savoir qui résout la tâche');
  // Never stored (the API refuses them first).
  if (hasForbiddenCharacters(r.by) || (r.comment != null && hasForbiddenCharacters(r.comment, true))) {
    throw new Error('le commentaire et le nom ne doivent pas contenir de caractères de contrôle');
  }
}

/**
 * The decisions on a claim's manager tasks, one at a time, as the `resolveTask` Update brings them: received (for
 * the open task only, and only once), taken by the workflow to apply, then answered with where it led — the
 * claim's status then, and the next task when it leads back to a manager. Until the next task opens, any other
 * resolution is refused.
 */
export class TaskDecisions {
  /** The decision received for the open task; null while the task waits for one. */
  private received: TaskResolution | null = null;
  /** The task whose decision is being applied: its Update is answered once the claim gets where it leads. */
  private applying: string | null = null;
  private readonly answers = new Map<string, ResolutionOutcome>();

  /** Registers the Update's handler; `openTaskId` says which task a resolution may be for. */
  constructor(openTaskId: () => string | null) {
    setHandler(resolveTaskUpdate, async (r) => {
      this.received = r;
      await condition(() => this.answers.has(r.taskId));
      return this.answers.get(r.taskId)!;
    }, { validator: (r) => checkResolution(openTaskId(), this.received !== null, r) });
  }

  /** A new task is open: its decision is awaited (the one received before was an earlier task's). */
  expectNew(): void {
    this.received = null;
  }

  /** Whether the open task's decision comes within `ms` (its service level). */
  arrivesWithin(ms: number): Promise<boolean> {
    return condition(() => this.received !== null, ms);
  }

  /** Waits for the open task's decision, for as long as it takes. */
  arrival(): Promise<void> {
    return condition(() => this.received !== null);
  }

  /** The decision received, taken to be applied: `answer` tells its Update where it led. */
  take(): TaskResolution {
    const r = this.received!;
    this.applying = r.taskId;
    return r;
  }

  /** Answers the decision being applied, if any: the claim's status now, and the task it led to. */
  answer(status: InvoiceStatus, nextTaskId: string | null): void {
    if (this.applying) this.answers.set(this.applying, { taskId: this.applying, status, nextTaskId });
    this.applying = null;
  }
}
