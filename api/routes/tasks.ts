// Manager tasks: the inbox, a task, claim / release, and the resolution sent to the waiting workflow as an Update.
// Only the task's holder resolves it: a task nobody holds is claimed by its resolver on the way, one held by another
// manager is a 409 naming them (an admin may override, as they may release it). Each action is in the audit log.

import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { MOTIF_CODES } from '../../rules/motifs.js';
import { TaskConflict } from '../../db/tasks.js';
import { resolveTaskUpdate, TASK_ACTIONS, type ResolutionOutcome } from '../../workflows/contract.js';
import { actorName, actorOf, READERS } from '../auth.js';
import { TEMPORAL_TIMEOUT_MS, TEMPORAL_UPDATE_TIMEOUT_MS, withinDeadline } from '../deadlines.js';
import { HttpError, notFound } from '../errors.js';
import { multilineText } from '../../rules/schema.js';
import { ErrorBody, limitSchema, OffsetSchema } from '../schemas.js';

const motifEnum = { ...Type.Union(MOTIF_CODES.map((m) => Type.Literal(m))), errorMessage: 'must be a motif code (GET /api/motifs)' };

const TaskListQuery = Type.Object({
  status: Type.Optional({ ...Type.Union([Type.Literal('open'), Type.Literal('resolved')]), errorMessage: 'must be open or resolved' }),
  motif: Type.Optional(motifEnum),
  assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: '`me` for the caller' })),
  overdue: Type.Optional(Type.Boolean()),
  ps: Type.Optional({ ...Type.String({ pattern: '^[0-9]{9}$' }), errorMessage: 'must be 9 digits (N° PS)' }),
  q: Type.Optional(Type.String({ maxLength: 100, description: 'Critère d\'archivage, N° PS or words of the motif' })),
  limit: limitSchema(200),
  offset: OffsetSchema,
});

const TaskParams = Type.Object({
  id: { ...Type.String({ pattern: '^[0-9]{10}-[0-9]+$' }), errorMessage: 'must be a task id (<critère d\'archivage>-<n>)' },
});

export const ResolveBody = Type.Object({
  action: { ...Type.Union(TASK_ACTIONS.map((a) => Type.Literal(a))), errorMessage: `must be one of ${TASK_ACTIONS.join(', ')}` },
  motif: Type.Optional(motifEnum),
  comment: Type.Optional(multilineText(500)),
});

const Task = Type.Object({}, { additionalProperties: true, description: 'A manager task (TaskSummary; with decision, invoice, practitioner and events for one task)' });

export const taskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { tasks, temporal: client, audit } = app;
  const record = (request: FastifyRequest, action: 'task.claim' | 'task.release' | 'task.resolve' | 'task.pay', taskId: string, details?: Record<string, unknown>) =>
    audit.record({ actor: actorOf(request), action, target: taskId, details: details ?? null, ip: request.ip });
  const timeout = app.settings.temporalTimeoutMs ?? TEMPORAL_TIMEOUT_MS;

  app.get('/api/tasks', {
    config: { roles: READERS },
    schema: { tags: ['tasks'], summary: 'The inbox: tasks filtered, overdue first, with counts per motif', querystring: TaskListQuery },
  }, async (request) => {
    const { status, motif, assignee, overdue, ps, q, limit = 50, offset = 0 } = request.query;
    const result = await tasks.list({
      status, motif, assignee: assignee === 'me' ? actorName(request) : assignee,
      overdue, practitionerNumber: ps, q, limit, offset,
    });
    return { ...result, limit, offset };
  });

  app.get('/api/tasks/:id', {
    config: { roles: READERS },
    schema: { tags: ['tasks'], summary: 'A task: the invoice, the analysis trace, the suggested motif and reply, who did what', params: TaskParams, response: { 200: Task, 404: ErrorBody } },
  }, async (request) => {
    const task = await tasks.get(request.params.id);
    if (!task) throw notFound(`La tâche ${request.params.id}`);
    return task;
  });

  app.post('/api/tasks/:id/claim', {
    config: { roles: ['manager'] },
    schema: { tags: ['tasks'], summary: 'Take the task (409 when someone else has it or it is resolved)', params: TaskParams, response: { 200: Task, 404: ErrorBody, 409: ErrorBody } },
  }, async (request) => {
    const { task, claimed } = await tasks.acquire(request.params.id, actorName(request));
    if (claimed) await record(request, 'task.claim', task.id);
    return task;
  });

  app.post('/api/tasks/:id/release', {
    config: { roles: ['manager'] },
    schema: { tags: ['tasks'], summary: 'Give the task back (its assignee, or an admin)', params: TaskParams, response: { 200: Task, 404: ErrorBody, 409: ErrorBody } },
  }, async (request) => {
    const force = request.principal?.role === 'admin';
    const holder = (await tasks.summary(request.params.id))?.assignee ?? null;
    const task = await tasks.release(request.params.id, actorName(request), force);
    await record(request, 'task.release', task.id, holder && holder !== actorName(request) ? { holder } : undefined);
    return task;
  });

  app.post('/api/tasks/:id/resolve', {
    config: { roles: ['manager'] },
    schema: {
      tags: ['tasks'],
      summary: 'Resolve the task: pay, reply with a motif, reanalyze or close. The waiting workflow applies it and answers (200 with the outcome); '
        + 'when it has accepted the resolution but not applied it within a few seconds, 202 with the task as it is (the outcome follows; the same request again waits for it). '
        + 'Only its holder resolves a task: one nobody holds is claimed by the resolver; one another manager holds is a 409 naming them (admins may override).',
      params: TaskParams, body: ResolveBody,
      response: {
        200: Type.Object({ task: Task, outcome: Type.Object({}, { additionalProperties: true }) }),
        202: Type.Object({ task: Task, outcome: Type.Null() }),
        400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody,
      },
    },
  }, async (request, reply) => {
    const { action, motif, comment } = request.body;
    if (action === 'reply' && !motif) throw new HttpError(400, 'A reply needs a motif', [{ path: 'motif', message: 'is required with the action reply' }]);
    const task = await tasks.summary(request.params.id);
    if (!task) throw notFound(`La tâche ${request.params.id}`);
    const resolution = { taskId: task.id, action, motif: motif ?? null, comment: comment ?? null, by: actorName(request) };
    const handle = client.workflow.getHandle(task.workflowId);
    if (task.status !== 'open') {
      // The same resolution sent again (a client retrying after a 202): its outcome as the workflow gave it, not a
      // conflict; 202 while the workflow is still applying it.
      const done = task.resolution;
      if (task.resolvedBy !== resolution.by || done?.action !== action || (done.motif ?? null) !== resolution.motif || (done.comment ?? null) !== resolution.comment) {
        throw new HttpError(409, `La tâche ${task.id} est déjà résolue`, undefined, { code: 'task_conflict' });
      }
      const outcome = await withinDeadline(client, RESOLVE_WAIT_MS, () => handle.getUpdateHandle<ResolutionOutcome>(resolutionId(resolution)).result())
        .catch(async (err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) return null;
          // The workflow's history is gone (retention): the claim's row says where it ended.
          const invoice = await app.invoices.get(task.archiveKey);
          return { taskId: task.id, status: invoice?.status ?? 'closed', nextTaskId: null } satisfies ResolutionOutcome;
        });
      return outcome ? { task, outcome } : reply.status(202).send({ task, outcome: null });
    }
    // Only the holder resolves: a free task is claimed on the way (atomically: a manager claiming it meanwhile wins,
    // and this is a 409 naming them); an admin may override another's claim, as they may release it.
    let override: string | null = null;
    if (task.assignee && task.assignee !== resolution.by) {
      if (request.principal?.role !== 'admin') {
        throw new HttpError(409, `La tâche ${task.id} est prise par ${task.assignee} : seul ce gestionnaire peut la résoudre (ou la relâcher d'abord)`, undefined, { code: 'task_conflict' });
      }
      override = task.assignee;
    } else if (!task.assignee) {
      const { claimed } = await tasks.acquire(task.id, resolution.by).catch((err: unknown) => {
        if (err instanceof TaskConflict && err.reason === 'claimed_by_other') {
          throw new HttpError(409, `${err.message}: only they can resolve it (or release it first)`);
        }
        throw err; // 404 or 409 (api/errors.ts toHttpError)
      });
      if (claimed) await record(request, 'task.claim', task.id, { by: 'resolve' });
    }
    const refused = (err: unknown): never => {
      // The workflow's validator refused it before it entered the history (e.g. resolved meanwhile).
      if (err instanceof WorkflowUpdateFailedError) throw new HttpError(409, `Task ${task.id} cannot be resolved: ${(err.cause as Error | undefined)?.message ?? err.message}`);
      // Another resolution finished the invoice's workflow while this one was on its way.
      if (err instanceof WorkflowNotFoundError) throw new HttpError(409, `La tâche ${task.id} est déjà résolue : le traitement de la facture est terminé`, undefined, { code: 'task_conflict' });
      throw err;
    };
    // Temporal reachable (a 503 within its deadline when it is not), then the Update: accepted = validated by the
    // workflow's worker and written in its history; from then on the resolution will be applied. The same resolution
    // sent again is the same Update (its id), so a retry after a 202 waits for the same outcome.
    await withinDeadline(client, timeout, () => handle.describe()).catch(refused);
    const update = await withinDeadline(client, TEMPORAL_UPDATE_TIMEOUT_MS, () => handle.startUpdate(resolveTaskUpdate, {
      args: [resolution], waitForStage: WorkflowUpdateStage.ACCEPTED, updateId: resolutionId(resolution),
    })).catch(refused);
    const outcome = await withinDeadline(client, RESOLVE_WAIT_MS, () => update.result()).catch((err: unknown) => {
      if (err instanceof WorkflowUpdateFailedError) refused(err);
      return null; // accepted, not applied yet (or Temporal slow to answer): the outcome follows
    });
    // Accepted by the workflow: from here on it will be applied.
    await record(request, action === 'pay' ? 'task.pay' : 'task.resolve', task.id, {
      action, motif: resolution.motif, ...(override ? { override } : {}),
    });
    const current = (await tasks.summary(task.id))!;
    if (!outcome) return reply.status(202).send({ task: current, outcome: null });
    return { task: current, outcome };
  });
};

/** How long a resolve waits for the workflow to apply an accepted resolution before answering 202. */
const RESOLVE_WAIT_MS = 5000;

/** The Update's id: one per task and resolution, so that the same request sent again is the same Update. */
function resolutionId(r: { taskId: string; action: string; motif: string | null; comment: string | null; by: string }): string {
  return `resolve:${r.taskId}:${createHash('sha256').update(JSON.stringify([r.action, r.motif, r.comment, r.by])).digest('hex').slice(0, 16)}`;
}
