// An invoice's timeline, for managers and auditors: the workflow history read as the MO's steps, with the tasks'
// audit trail (who claimed and resolved what) and the e-mail that carried the reply.

import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { ANALYSIS_STEPS } from '../rules/analyze.js';
import { motifLabel } from '../rules/motifs.js';
import type { AnalysisResult, MotifCode, TraceLine } from '../rules/types.js';
import type { ClaimDecision, InvoiceRecord } from '../db/invoices.js';
import { JOURNAL_GATES } from '../workflows/contract.js';
import type { TaskEvent, TaskSummary } from '../db/tasks.js';

export interface TimelineEntry {
  at: string;
  kind: 'received' | 'step' | 'decided' | 'task' | 'email' | 'status' | 'finished';
  label: string;
  details?: Record<string, unknown>;
}

const STEP_TITLES = new Map(ANALYSIS_STEPS.map((s) => [s.code, s.title]));
const ROUTES: Record<string, string> = { practitioner: 'réponse au PS par e-mail', manager: 'retour au gestionnaire Almerys' };
const TASK_EVENTS: Record<string, string> = {
  created: 'Tâche créée pour le gestionnaire', claimed: 'Tâche prise en charge', released: 'Tâche libérée',
  escalated: 'Tâche en retard : escalade aux gestionnaires', notice_failed: 'Avis d\'escalade non envoyé aux gestionnaires',
  resolved: 'Tâche résolue',
};
const ACTIONS: Record<string, string> = {
  pay: 'paiement forcé', reply: 'réponse au PS', reanalyze: 'nouvelle analyse', close: 'clôturée (traitée chez Almerys)',
};

function time(t: { seconds?: unknown; nanos?: number | null } | null | undefined): string {
  if (!t) return new Date(0).toISOString();
  return new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}

function decode<T>(payloads: { payloads?: unknown[] | null } | null | undefined): T | undefined {
  const p = payloads?.payloads?.[0];
  return p ? (defaultPayloadConverter.fromPayload(p as never) as T) : undefined;
}

function describeDecision(result: AnalysisResult): string {
  if (result.outcome === 'paid') return 'Décision : facture saisie et payée';
  return `Décision : ${motifLabel(result.motif as MotifCode)}${result.route ? ` → ${ROUTES[result.route]}` : ''}`;
}

/** The decision of an analysis activity's result: `analyseClaim`'s own, or inside `openAndAnalyseClaim`'s. */
function analysed(result: { result?: AnalysisResult; analysis?: { result: AnalysisResult } | null } | undefined): AnalysisResult | null {
  return result?.analysis?.result ?? result?.result ?? null;
}

function stepEntry(at: string, t: TraceLine): TimelineEntry {
  return {
    at, kind: 'step',
    label: `${t.step} ${STEP_TITLES.get(t.step as never) ?? ''} : ${t.result === 'continue' ? 'conforme' : t.result}`,
    details: { step: t.step, facts: t.facts, result: t.result },
  };
}

const decidedDetails = (result: AnalysisResult) => ({
  motif: result.motif, route: result.route, ...(result.rulesVersion ? { rulesVersion: result.rulesVersion } : {}),
});

/**
 * The analyses and decisions of a run started before the claim's journal (gates < 5), as that release's timeline
 * read them: from the local activities' markers of its history (the SDK's encoding: `activity_type` in the marker's
 * data, the result in its `result`). Frozen: no new run is read this way.
 */
function markerEntries(history: History): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const e of history.events ?? []) {
    if (!e.markerRecordedEventAttributes) continue;
    const at = time(e.eventTime as never);
    const details = e.markerRecordedEventAttributes.details ?? {};
    const data = decode<{ activity_type?: string }>(details.data);
    const result = decode<{ trace?: TraceLine; result?: AnalysisResult; analysis?: { result: AnalysisResult } | null }>(details.result);
    const decided = data?.activity_type === 'analyseClaim' || data?.activity_type === 'openAndAnalyseClaim' ? analysed(result) : null;
    if (data?.activity_type === 'runAnalysisStep' && result?.trace) {
      entries.push(stepEntry(at, result.trace));
    } else if (decided) {
      entries.push(...decisionEntries(at, decided, true));
    } else if (data?.activity_type === 'concludeAnalysis' && result?.result) {
      entries.push(...decisionEntries(at, result.result, false));
    }
  }
  return entries;
}

/** An analysis' steps (when the rules analysed the claim for it), then the decision, at the same instant. */
function decisionEntries(at: string, decision: AnalysisResult, analysedByRules: boolean): TimelineEntry[] {
  const steps = analysedByRules ? decision.trace.filter((t) => STEP_TITLES.has(t.step as never)).map((t) => stepEntry(at, t)) : [];
  return [...steps, { at, kind: 'decided', label: describeDecision(decision), details: decidedDetails(decision) }];
}

/** The generation of the workflow code that started the run (its input's `gates`), 0 when it has none. */
function gatesOf(history: History): number {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = decode<{ gates?: unknown }>(started?.input);
  return typeof input?.gates === 'number' ? input.gates : 0;
}

export function invoiceTimeline(input: {
  record: InvoiceRecord;
  history: History;
  /** The claim's journal (db/invoices.ts `decisionsOf`): its analyses and decisions, for runs of gates 5 or more. */
  decisions: ClaimDecision[];
  tasks: (TaskSummary & { events: TaskEvent[] })[];
  email: { id: string; to: string[]; subject: string; sentAt: string | null } | null;
}): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const finished: TimelineEntry[] = [];
  for (const e of input.history.events ?? []) {
    const at = time(e.eventTime as never);
    if (e.workflowExecutionStartedEventAttributes) {
      entries.push({ at, kind: 'received', label: 'Réclamation reçue, analyse lancée' });
    } else if (e.workflowExecutionCompletedEventAttributes) {
      finished.push({ at, kind: 'finished', label: 'Traitement terminé' });
    } else if (e.workflowExecutionTerminatedEventAttributes || e.workflowExecutionFailedEventAttributes) {
      finished.push({ at, kind: 'finished', label: 'Traitement interrompu' });
    }
  }
  if (gatesOf(input.history) >= JOURNAL_GATES) {
    for (const d of input.decisions) entries.push(...decisionEntries(d.at, d.decision, d.analysed));
  } else {
    entries.push(...markerEntries(input.history));
  }
  entries.push(...finished);
  for (const task of input.tasks) {
    for (const ev of task.events) {
      const action = ev.kind === 'resolved' && ev.details?.action ? ` : ${ACTIONS[String(ev.details.action)] ?? ev.details.action}` : '';
      entries.push({
        at: ev.at, kind: 'task',
        label: `${TASK_EVENTS[ev.kind] ?? ev.kind}${action}${ev.actor ? ` — ${ev.actor}` : ''}`,
        details: { taskId: task.id, motif: task.motif, ...(ev.details ?? {}) },
      });
    }
  }
  if (input.email?.sentAt) {
    entries.push({
      at: input.email.sentAt, kind: 'email', label: `Réponse envoyée au PS (${input.email.to.join(', ')})`,
      details: { emailId: input.email.id, subject: input.email.subject },
    });
  }
  return entries.sort((a, b) => a.at.localeCompare(b.at));
}
