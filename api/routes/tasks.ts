// Manager tasks: the inbox, a task, claim / release, and the resolution sent to the waiting workflow as an Update.

import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { MOTIFS, MOTIF_CODES } from '../../rules/motifs.js';
import type { MotifCode } from '../../rules/types.js';
import { TaskConflict, type TaskRepository } from '../../db/tasks.js';
import { resolveTaskUpdate, TASK_ACTIONS } from '../../workflows/contract.js';
import type { AppDependencies } from '../app.js';
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

/** Who is acting: the principal's name (the API key's name) when authenticated. */
export function actorOf(request: FastifyRequest): string {
  const principal = (request as FastifyRequest & { principal?: { name: string } | null }).principal;
  return principal?.name ?? 'anonymous';
}

function conflict(err: unknown): never {
  if (err instanceof TaskConflict) throw new HttpError(err.reason === 'not_found' ? 404 : 409, err.message);
  throw err;
}

export const taskRoutes: FastifyPluginAsync<{ deps: AppDependencies & { tasks: TaskRepository } }> = async (app, { deps }) => {
  const { tasks, client } = deps;
  const timeout = deps.temporalTimeoutMs ?? 10_000;

  app.get('/api/motifs', {
    schema: { tags: ['tasks'], summary: 'The 23 motifs de traitement (labels of the Trame drop-down)' },
  }, async () => MOTIFS.map((m) => ({ code: m.code, label: m.label, routing: m.routing, waitsForDecision: m.waitsForDecision })));

  app.get<{ Querystring: Static<typeof TaskListQuery> }>('/api/tasks', {
    schema: { tags: ['tasks'], summary: 'The inbox: tasks filtered, overdue first, with counts per motif', querystring: TaskListQuery },
  }, async (request) => {
    const { status, motif, assignee, overdue, ps, q, limit = 50, offset = 0 } = request.query;
    const result = await tasks.list({
      status, motif: motif as MotifCode | undefined, assignee: assignee === 'me' ? actorOf(request) : assignee,
      overdue, practitionerNumber: ps, q, limit, offset,
    });
    return { ...result, limit, offset };
  });

  app.get<{ Params: Static<typeof TaskParams> }>('/api/tasks/:id', {
    schema: { tags: ['tasks'], summary: 'A task: the invoice, the analysis trace, the suggested motif and reply, who did what', params: TaskParams, response: { 200: Task, 404: ErrorBody } },
  }, async (request) => {
    const task = await tasks.get(request.params.id);
    if (!task) throw notFound(`Task ${request.params.id}`);
    return task;
  });

  app.post<{ Params: Static<typeof TaskParams> }>('/api/tasks/:id/claim', {
    schema: { tags: ['tasks'], summary: 'Take the task (409 when someone else has it or it is resolved)', params: TaskParams, response: { 200: Task, 404: ErrorBody, 409: ErrorBody } },
  }, async (request) => tasks.claim(request.params.id, actorOf(request)).catch(conflict));

  app.post<{ Params: Static<typeof TaskParams> }>('/api/tasks/:id/release', {
    schema: { tags: ['tasks'], summary: 'Give the task back (its assignee, or an admin)', params: TaskParams, response: { 200: Task, 404: ErrorBody, 409: ErrorBody } },
  }, async (request) => {
    const principal = (request as FastifyRequest & { principal?: { role: string } | null }).principal;
    return tasks.release(request.params.id, actorOf(request), principal?.role === 'admin').catch(conflict);
  });

  app.post<{ Params: Static<typeof TaskParams>; Body: Static<typeof ResolveBody> }>('/api/tasks/:id/resolve', {
    schema: {
      tags: ['tasks'],
      summary: 'Resolve the task: pay, reply with a motif, reanalyze or close. The waiting workflow applies it and answers.',
      params: TaskParams, body: ResolveBody,
      response: { 200: Type.Object({ task: Task, outcome: Type.Object({}, { additionalProperties: true }) }), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
    },
  }, async (request) => {
    const { action, motif, comment } = request.body;
    if (action === 'reply' && !motif) throw new HttpError(400, 'A reply needs a motif', [{ path: 'motif', message: 'is required with the action reply' }]);
    const task = await tasks.summary(request.params.id);
    if (!task) throw notFound(`Task ${request.params.id}`);
    if (task.status !== 'open') throw new HttpError(409, `Task ${task.id} is already resolved`);
    let outcome;
    try {
      outcome = await client.connection.withDeadline(Date.now() + timeout, () =>
        client.workflow.getHandle(task.workflowId).executeUpdate(resolveTaskUpdate, {
          args: [{ taskId: task.id, action, motif: (motif as MotifCode | undefined) ?? null, comment: comment ?? null, by: actorOf(request) }],
        }));
    } catch (err) {
      // The workflow's validator refused it before it entered the history (e.g. resolved meanwhile).
      if (err instanceof WorkflowUpdateFailedError) throw new HttpError(409, `Task ${task.id} cannot be resolved: ${(err.cause as Error | undefined)?.message ?? err.message}`);
      // Another resolution finished the invoice's workflow while this one was on its way.
      if (err instanceof WorkflowNotFoundError) throw new HttpError(409, `Task ${task.id} is already resolved: the invoice's workflow has finished`);
      throw err;
    }
    return { task: (await tasks.summary(task.id))!, outcome };
  });
};
