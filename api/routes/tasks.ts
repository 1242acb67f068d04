// Manager tasks: the inbox, a task, claim / release, and the resolution sent to the waiting workflow as an Update.
// Only the task's holder resolves it: a task nobody holds is claimed by its resolver on the way, one held by another
// manager is a 409 naming them (an admin may override, as they may release it). Each action is in the audit log.

import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { MOTIF_CODES } from '../../rules/motifs.js';
import { TASK_SORTS, TaskConflict, type TaskSummary } from '../../db/tasks.js';
import { resolveTaskUpdate, TASK_ACTIONS, type ResolutionOutcome } from '../../workflows/contract.js';
import { actorName, actorOf, READERS } from '../auth.js';
import { BULK_REQUEST_TIMEOUT_MS, TEMPORAL_TIMEOUT_MS, TEMPORAL_UPDATE_TIMEOUT_MS, withinDeadline } from '../deadlines.js';
import { HttpError, notFound, sanitizeError, toHttpError } from '../errors.js';
import { multilineText } from '../../rules/schema.js';
import {
  ErrorBody, limitSchema, OffsetSchema, ResolutionOutcomeSchema, TaskDetailSchema, TaskListSchema, TaskSummarySchema, type SameShape,
} from '../schemas.js';
import { IdempotencyKeyHeaders } from '../idempotency.js';
import type { TaskDetail } from '../../db/tasks.js';

const motifEnum = { ...Type.Union(MOTIF_CODES.map((m) => Type.Literal(m))), errorMessage: 'doit être un code motif (GET /api/motifs)' };

const TaskListQuery = Type.Object({
  status: Type.Optional({ ...Type.Union([Type.Literal('open'), Type.Literal('resolved')]), errorMessage: 'doit valoir open ou resolved' }),
  motif: Type.Optional(motifEnum),
  assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: '`me` for the caller' })),
  overdue: Type.Optional(Type.Boolean()),
  ps: Type.Optional({ ...Type.String({ pattern: '^[0-9]{9}$' }), errorMessage: 'doit comporter 9 chiffres (N° PS)' }),
  q: Type.Optional(Type.String({ maxLength: 100, description: 'Critère d\'archivage, N° PS or words of the motif' })),
  sort: Type.Optional({
    ...Type.Union(TASK_SORTS.map((k) => Type.Literal(k)), {
      description: '`due` (default): the nearest deadline first; `age`: the youngest first; `motif`: by the motif\'s label, A → Z (open before resolved, always)',
    }),
    errorMessage: `doit être l'une des valeurs ${TASK_SORTS.join(', ')}`,
  }),
  order: Type.Optional({ ...Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'asc (default) or desc: the sort reversed' }), errorMessage: 'doit valoir asc ou desc' }),
  limit: limitSchema(200),
  offset: OffsetSchema,
});

/** The task actions take an Idempotency-Key (api/idempotency.ts). */
const IDEMPOTENT = 'With an `Idempotency-Key` header, the same request again (same key, same body) answers the first response '
  + 'without acting twice; the same key with another request is a 422 problem `idempotency_key_reused` (keys are kept 24 h).';

const TaskParams = Type.Object({
  id: { ...Type.String({ pattern: '^[0-9]{10}-[0-9]+$' }), errorMessage: 'doit être un identifiant de tâche (<critère d\'archivage>-<n>)' },
});

export const ResolveBody = Type.Object({
  action: { ...Type.Union(TASK_ACTIONS.map((a) => Type.Literal(a))), errorMessage: `doit être l'une des valeurs ${TASK_ACTIONS.join(', ')}` },
  motif: Type.Optional(motifEnum),
  comment: Type.Optional(multilineText(500)),
});

const Task = TaskSummarySchema;
// The schemas are the repository's types (a field the schema lacks would be dropped from the answer).
const taskShapes: [
  SameShape<Static<typeof TaskSummarySchema>, TaskSummary>, SameShape<Static<typeof TaskDetailSchema>, TaskDetail>,
  SameShape<Static<typeof ResolutionOutcomeSchema>, ResolutionOutcome>,
] = [true, true, true];
void taskShapes;

const BulkBody = Type.Object({
  action: { ...Type.Union([Type.Literal('claim'), Type.Literal('release'), Type.Literal('resolve')]), errorMessage: 'doit valoir claim, release ou resolve' },
  taskIds: Type.Array(TaskParams.properties.id, { minItems: 1, maxItems: 100, description: 'up to 100 tasks (a task given twice is acted on once)' }),
  resolution: Type.Optional(ResolveBody),
}, { additionalProperties: false });

const BulkResult = Type.Object({
  taskId: Type.String(),
  ok: Type.Boolean(),
  status: Type.Optional(Type.Integer({ description: 'what the single-task route would have answered: 200, 202 (resolution accepted, being applied), 404, 409, 503…' })),
  code: Type.Optional(Type.String({ description: 'why it was refused: claimed_by_other, already_resolved, task_conflict, not_found, refused…' })),
  message: Type.Optional(Type.String({ description: 'why it was refused, in French' })),
  task: Type.Optional(Task),
  outcome: Type.Optional(Type.Union([ResolutionOutcomeSchema, Type.Null()])),
});

export const taskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { tasks, temporal: client, audit } = app;
  const record = (request: FastifyRequest, action: 'task.claim' | 'task.release' | 'task.resolve' | 'task.pay', taskId: string, details?: Record<string, unknown>) =>
    audit.record({ actor: actorOf(request), action, target: taskId, details: details ?? null, ip: request.ip });
  const timeout = app.settings.temporalTimeoutMs ?? TEMPORAL_TIMEOUT_MS;

  app.get('/api/tasks', {
    config: { roles: READERS },
    schema: {
      tags: ['tasks'], operationId: 'listTasks', summary: 'The inbox: tasks filtered, overdue first, with counts per motif',
      querystring: TaskListQuery, response: { 200: TaskListSchema },
    },
  }, async (request) => {
    const { status, motif, assignee, overdue, ps, q, sort, order, limit = 50, offset = 0 } = request.query;
    const result = await tasks.list({
      status, motif, assignee: assignee === 'me' ? actorName(request) : assignee,
      overdue, practitionerNumber: ps, q, sort, order, limit, offset,
    });
    return { ...result, limit, offset };
  });

  app.get('/api/tasks/:id', {
    config: { roles: READERS },
    schema: {
      tags: ['tasks'], operationId: 'getTask', summary: 'A task: the invoice, the analysis trace, the suggested motif and reply, who did what',
      params: TaskParams, response: { 200: TaskDetailSchema, 404: ErrorBody },
    },
  }, async (request) => {
    const task = await tasks.get(request.params.id);
    if (!task) throw notFound(`La tâche ${request.params.id}`);
    return task;
  });

  /** Takes the task (audited when it was not already the caller's). */
  async function claimOne(request: FastifyRequest, id: string): Promise<TaskSummary> {
    const { task, claimed } = await tasks.acquire(id, actorName(request));
    if (claimed) await record(request, 'task.claim', task.id);
    return task;
  }

  /** Gives the task back: its assignee, or an admin (audited, naming the holder an admin released it from). */
  async function releaseOne(request: FastifyRequest, id: string): Promise<TaskSummary> {
    const force = request.principal?.role === 'admin';
    const holder = (await tasks.summary(id))?.assignee ?? null;
    const task = await tasks.release(id, actorName(request), force);
    await record(request, 'task.release', task.id, holder && holder !== actorName(request) ? { holder } : undefined);
    return task;
  }

  /**
   * Resolves the task (see the route below): 200 with the outcome, or 202 while the workflow applies an accepted
   * resolution; refusals are thrown (HttpError with a `code`: already_resolved, claimed_by_other, refused).
   */
  async function resolveOne(request: FastifyRequest, id: string, body: Static<typeof ResolveBody>): Promise<{ status: 200 | 202; task: TaskSummary; outcome: ResolutionOutcome | null }> {
    const { action, motif, comment } = body;
    if (action === 'reply' && !motif) throw new HttpError(400, 'Requête invalide : une réponse au PS demande un motif', [{ path: 'motif', message: 'est obligatoire avec l\'action reply' }], { code: 'invalid_request' });
    const task = await tasks.summary(id);
    if (!task) throw notFound(`La tâche ${id}`);
    const resolution = { taskId: task.id, action, motif: motif ?? null, comment: comment ?? null, by: actorName(request) };
    const handle = client.workflow.getHandle(task.workflowId);
    if (task.status !== 'open') {
      // The same resolution sent again (a client retrying after a 202): its outcome as the workflow gave it, not a
      // conflict; 202 while the workflow is still applying it.
      const done = task.resolution;
      if (task.resolvedBy !== resolution.by || done?.action !== action || (done.motif ?? null) !== resolution.motif || (done.comment ?? null) !== resolution.comment) {
        throw new HttpError(409, `La tâche ${task.id} est déjà résolue`, undefined, { code: 'already_resolved' });
      }
      const outcome = await withinDeadline(client, RESOLVE_WAIT_MS, () => handle.getUpdateHandle<ResolutionOutcome>(resolutionId(resolution)).result())
        .catch(async (err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) return null;
          // The workflow's history is gone (retention): the claim's row says where it ended.
          const invoice = await app.invoices.get(task.archiveKey);
          return { taskId: task.id, status: invoice?.status ?? 'closed', nextTaskId: null } satisfies ResolutionOutcome;
        });
      return { status: outcome ? 200 : 202, task, outcome };
    }
    // Only the holder resolves: a free task is claimed on the way (atomically: a manager claiming it meanwhile wins,
    // and this is a 409 naming them); an admin may override another's claim, as they may release it.
    let override: string | null = null;
    if (task.assignee && task.assignee !== resolution.by) {
      if (request.principal?.role !== 'admin') {
        throw new HttpError(409, `La tâche ${task.id} est prise par ${task.assignee} : seul ce gestionnaire peut la résoudre (ou la relâcher d'abord)`, undefined, { code: 'claimed_by_other' });
      }
      override = task.assignee;
    } else if (!task.assignee) {
      const { claimed } = await tasks.acquire(task.id, resolution.by).catch((err: unknown) => {
        if (err instanceof TaskConflict && err.reason === 'claimed_by_other') {
          throw new HttpError(409, `${err.message} : seul ce gestionnaire peut la résoudre (ou la relâcher d'abord)`, undefined, { code: 'claimed_by_other' });
        }
        throw err; // 404 or 409 (api/errors.ts toHttpError)
      });
      if (claimed) await record(request, 'task.claim', task.id, { by: 'resolve' });
    }
    const refused = (err: unknown): never => {
      // The workflow's validator refused it before it entered the history (e.g. resolved meanwhile).
      if (err instanceof WorkflowUpdateFailedError) {
        throw new HttpError(409, `La tâche ${task.id} ne peut pas être résolue : ${(err.cause as Error | undefined)?.message ?? err.message}`, undefined, { code: 'refused' });
      }
      // Another resolution finished the invoice's workflow while this one was on its way.
      if (err instanceof WorkflowNotFoundError) {
        throw new HttpError(409, `La tâche ${task.id} est déjà résolue : le traitement de la facture est terminé`, undefined, { code: 'already_resolved' });
      }
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
    return { status: outcome ? 200 : 202, task: current, outcome };
  }

  app.post('/api/tasks/:id/claim', {
    config: { roles: ['manager'], idempotent: true },
    schema: {
      tags: ['tasks'], operationId: 'claimTask', summary: `Take the task (409 when someone else has it or it is resolved). ${IDEMPOTENT}`,
      params: TaskParams, headers: IdempotencyKeyHeaders, response: { 200: Task, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
    },
  }, async (request) => claimOne(request, request.params.id));

  app.post('/api/tasks/:id/release', {
    config: { roles: ['manager'], idempotent: true },
    schema: {
      tags: ['tasks'], operationId: 'releaseTask', summary: `Give the task back (its assignee, or an admin). ${IDEMPOTENT}`,
      params: TaskParams, headers: IdempotencyKeyHeaders, response: { 200: Task, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
    },
  }, async (request) => releaseOne(request, request.params.id));

  app.post('/api/tasks/:id/resolve', {
    config: { roles: ['manager'], idempotent: true },
    schema: {
      tags: ['tasks'],
      operationId: 'resolveTask',
      summary: 'Resolve the task: pay, reply with a motif, reanalyze or close. The waiting workflow applies it and answers (200 with the outcome); '
        + 'when it has accepted the resolution but not applied it within a few seconds, 202 with the task as it is (the outcome follows; the same request again waits for it). '
        + 'Only its holder resolves a task: one nobody holds is claimed by the resolver; one another manager holds is a 409 naming them (admins may override). '
        + IDEMPOTENT,
      params: TaskParams, body: ResolveBody, headers: IdempotencyKeyHeaders,
      response: {
        200: Type.Object({ task: Task, outcome: ResolutionOutcomeSchema }),
        // Always null here; declared as the 200's outcome or null, so that clients see one field of one type (a field
        // typed `null` alone is dropped by some generated clients' readers).
        202: Type.Object({ task: Task, outcome: Type.Union([ResolutionOutcomeSchema, Type.Null()], { description: 'null: accepted, the outcome follows' }) }),
        400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, 503: ErrorBody,
      },
    },
  }, async (request, reply) => {
    const { status, task, outcome } = await resolveOne(request, request.params.id, request.body);
    return reply.status(status).send({ task, outcome });
  });

  app.post('/api/tasks/bulk', {
    // A hundred resolutions, each waiting for its workflow: longer than a request on one task.
    config: { roles: ['manager'], answerWithinMs: BULK_REQUEST_TIMEOUT_MS, idempotent: true },
    schema: {
      tags: ['tasks'],
      operationId: 'actOnTasks',
      summary: 'Claim, release or resolve several tasks at once: each task as its own request would be (each resolution its own Update '
        + 'on its invoice\'s workflow, each action audited); 200 with one result per task, in the order given, a refusal saying why in French. '
        + IDEMPOTENT,
      body: BulkBody, headers: IdempotencyKeyHeaders,
      response: { 200: Type.Object({ results: Type.Array(BulkResult) }), 400: ErrorBody, 409: ErrorBody, 422: ErrorBody },
    },
  }, async (request) => {
    const { action, taskIds, resolution } = request.body;
    if (action === 'resolve' && !resolution) throw new HttpError(400, 'Requête invalide : une résolution groupée demande la résolution à appliquer', [{ path: 'resolution', message: 'est obligatoire avec l\'action resolve' }], { code: 'invalid_request' });
    const ids = [...new Set(taskIds)];
    const one = async (id: string): Promise<Static<typeof BulkResult>> => {
      try {
        if (action === 'claim') return { taskId: id, ok: true, status: 200, task: await claimOne(request, id) };
        if (action === 'release') return { taskId: id, ok: true, status: 200, task: await releaseOne(request, id) };
        const done = await resolveOne(request, id, resolution!);
        return { taskId: id, ok: true, status: done.status, task: done.task, outcome: done.outcome };
      } catch (err) {
        const http = toHttpError(err);
        if (http.unexpected) request.log.error({ err: sanitizeError(err), taskId: id }, 'bulk task action failed');
        return { taskId: id, ok: false, status: http.statusCode, code: http.code, message: await refusalInFrench(id, http, actorName(request)) };
      }
    };
    return { results: await mapLimited(ids, BULK_CONCURRENCY, one) };
  });

  /** Why a task of a bulk action was refused, in French, from the task as it is now. */
  async function refusalInFrench(id: string, error: HttpError, me: string): Promise<string> {
    if (error.statusCode === 404) return 'Tâche introuvable';
    if (error.statusCode === 503) return 'Service momentanément indisponible : rien n\'a été fait, réessayez plus tard';
    if (error.statusCode === 400) return `Demande invalide : ${error.message}`;
    const task = await tasks.summary(id).catch(() => null);
    if (task && task.status !== 'open') return `Déjà résolue${task.resolvedBy ? ` par ${task.resolvedBy}` : ''}`;
    if (task?.assignee && task.assignee !== me) return `Prise par ${task.assignee} : seule cette personne peut la traiter (ou la relâcher)`;
    if (error.code === 'task_conflict' && task && !task.assignee) return 'Cette tâche ne vous est pas assignée';
    if (error.code === 'refused') return `Refusée par le traitement de la facture : ${error.message}`;
    return `Refusée : ${error.message}`;
  }
};

/** At most this many tasks of a bulk action in flight at once (each resolve may wait seconds for its workflow). */
const BULK_CONCURRENCY = 4;

/** `fn` over `items`, at most `limit` at a time; the results in the items' order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** How long a resolve waits for the workflow to apply an accepted resolution before answering 202. */
const RESOLVE_WAIT_MS = 5000;

/** The Update's id: one per task and resolution, so that the same request sent again is the same Update. */
function resolutionId(r: { taskId: string; action: string; motif: string | null; comment: string | null; by: string }): string {
  return `resolve:${r.taskId}:${createHash('sha256').update(JSON.stringify([r.action, r.motif, r.comment, r.by])).digest('hex').slice(0, 16)}`;
}
