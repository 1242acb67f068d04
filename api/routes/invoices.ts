import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { InvoiceRecord } from '../../db/invoices.js';
import type { Invoice } from '../../rules/types.js';
import { invoiceWorkflowId } from '../../workflows/contract.js';
import type { AppDependencies } from '../app.js';
import { TEMPORAL_TIMEOUT_MS, withinDeadline } from '../deadlines.js';
import { notFound } from '../errors.js';
import { invoiceTimeline } from '../timeline.js';
import {
  ErrorBody, IdParams, InvoiceList, InvoiceListQuery, InvoiceView, Receipt, SubmitInvoiceBody,
} from '../schemas.js';

function view(record: InvoiceRecord) {
  return {
    id: record.id,
    workflowId: record.workflowId,
    status: record.status,
    batchId: record.batchId,
    practitionerNumber: record.practitionerNumber,
    receivedOn: record.receivedOn,
    motif: record.motif,
    route: record.route,
    decision: record.decision,
    trace: record.decision?.trace ?? [],
    email: record.emailId ? { id: record.emailId, sentAt: record.emailedAt, to: record.decision?.email ?? null } : null,
    trame: record.trameId ? { id: record.trameId, batchId: record.batchId } : null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

const errors = { 400: ErrorBody, 503: ErrorBody };

export const invoiceRoutes: FastifyPluginAsync<{ deps: AppDependencies }> = async (app, { deps }) => {
  const { service, invoices, client } = deps;
  const timeout = deps.temporalTimeoutMs ?? TEMPORAL_TIMEOUT_MS;

  app.post<{ Body: Static<typeof SubmitInvoiceBody> }>('/api/invoices', {
    schema: {
      tags: ['invoices'],
      summary: 'Submit a claim: starts its workflow (or returns the existing one for this critère d\'archivage: `duplicate: true`). '
        + 'The critère d\'archivage is the idempotency key: the same claim with other values is a 409 naming the fields that differ (the first submission stands).',
      body: SubmitInvoiceBody,
      response: { 202: Receipt, 409: ErrorBody, ...errors },
    },
  }, async (request, reply) => {
    const { invoice, receivedOn, batchId } = request.body;
    const receipt = await service.submit({ invoice: invoice as Invoice, receivedOn, batchId });
    return reply.status(202).header('location', `/api/invoices/${receipt.id}`).send(receipt);
  });

  app.get<{ Querystring: Static<typeof InvoiceListQuery> }>('/api/invoices', {
    schema: {
      tags: ['invoices'],
      summary: 'Claims, newest first, filtered by status, motif, N° PS or batch',
      querystring: InvoiceListQuery,
      response: { 200: InvoiceList, ...errors },
    },
  }, async (request) => {
    const { status, motif, ps, batchId, q, limit = 50, offset = 0 } = request.query;
    const { items, total } = await invoices.list({ status, motif, practitionerNumber: ps, batchId, q, limit, offset });
    return {
      items: items.map((r) => {
        const { decision: _d, trace: _t, email: _e, trame: _m, ...rest } = view(r);
        return rest;
      }),
      total, limit, offset,
    };
  });

  app.get<{ Params: Static<typeof IdParams> }>('/api/invoices/:id', {
    schema: {
      tags: ['invoices'],
      summary: 'A claim: status, decision (spec §8 result) and analysis trace',
      params: IdParams,
      response: { 200: InvoiceView, 404: ErrorBody, ...errors },
    },
  }, async (request) => {
    const record = await invoices.get(request.params.id);
    if (!record) throw notFound(`Invoice ${request.params.id}`);
    return view(record);
  });

  app.get<{ Params: Static<typeof IdParams> }>('/api/invoices/:id/history', {
    schema: {
      tags: ['invoices'],
      summary: 'The Temporal event history of the claim\'s workflow (JSON, replayable with npm run replay -- --file)',
      params: IdParams,
      response: { 404: ErrorBody, ...errors },
    },
  }, async (request, reply) => {
    const record = await invoices.get(request.params.id);
    if (!record) throw notFound(`Invoice ${request.params.id}`);
    const history = await withinDeadline(client, timeout, () =>
      client.workflow.getHandle(invoiceWorkflowId(request.params.id)).fetchHistory());
    return reply.type('application/json').send(historyToJSON(history));
  });
};

export const invoiceTimelineRoutes: FastifyPluginAsync<{ deps: AppDependencies }> = async (app, { deps }) => {
  const { invoices, client, tasks, mailer } = deps;
  const timeout = deps.temporalTimeoutMs ?? TEMPORAL_TIMEOUT_MS;
  app.get<{ Params: Static<typeof IdParams> }>('/api/invoices/:id/timeline', {
    schema: {
      tags: ['invoices'],
      summary: 'What happened to the claim, and when: received, each analysis step, decision, tasks, e-mail, end',
      params: IdParams, response: { 404: ErrorBody, 503: ErrorBody },
    },
  }, async (request) => {
    const record = await invoices.get(request.params.id);
    if (!record) throw notFound(`Invoice ${request.params.id}`);
    const [history, taskList, email] = await Promise.all([
      withinDeadline(client, timeout, () => client.workflow.getHandle(record.workflowId).fetchHistory()),
      tasks.ofInvoice(record.archiveKey),
      record.emailId ? mailer.get(record.emailId) : Promise.resolve(null),
    ]);
    return invoiceTimeline({ record, history, tasks: taskList, email });
  });
};
