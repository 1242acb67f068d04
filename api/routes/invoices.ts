import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { InvoiceRecord } from '../../db/invoices.js';
import { invoiceWorkflowId } from '../../workflows/contract.js';
import { actorOf, ANY_ROLE, READERS } from '../auth.js';
import { TEMPORAL_TIMEOUT_MS } from '../deadlines.js';
import { decodeHistory, loadHistory } from '../histories.js';
import { notFound } from '../errors.js';
import { invoiceTimeline, type TimelineEntry } from '../timeline.js';
import {
  ErrorBody, HistorySchema, IdParams, InvoiceList, InvoiceListQuery, InvoiceView, Receipt, SubmitInvoiceBody, TimelineEntrySchema, type SameShape,
} from '../schemas.js';
import type { Static } from '@sinclair/typebox';

// The schema is the timeline's type (a field the schema lacks would be dropped from the answer).
const timelineShape: SameShape<Static<typeof TimelineEntrySchema>, TimelineEntry> = true;
void timelineShape;

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
    rulesVersion: record.rulesVersion,
    trace: record.decision?.trace ?? [],
    email: record.emailId ? { id: record.emailId, sentAt: record.emailedAt, to: record.decision?.email ?? null } : null,
    trame: record.trameId ? { id: record.trameId, batchId: record.batchId } : null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

const errors = { 400: ErrorBody, 503: ErrorBody };

const HistoryQuery = Type.Object({
  decoded: Type.Optional(Type.Boolean({ description: 'payloads decrypted (personal data in clear; audited as such)' })),
  runId: Type.Optional(Type.String({ pattern: '^[0-9a-f-]{36}$', description: 'one run (default: the latest)' })),
}, { additionalProperties: false });
const WorkflowParams = Type.Object({
  workflowId: Type.String({ pattern: '^(invoice|batch)-[A-Za-z0-9_-]{1,64}$', description: 'invoice-<critère d\'archivage> or batch-<id>' }),
});

/** A history export: as stored (encrypted) or decoded; Temporal first, then the archive; audited either way. */
async function sendHistory(
  app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, workflowId: string,
  options: { target: string; decoded?: boolean; runId?: string },
) {
  const loaded = await loadHistory({ client: app.temporal, archive: app.archive }, app.settings.temporalTimeoutMs ?? TEMPORAL_TIMEOUT_MS, workflowId, options.runId);
  if (!loaded) throw notFound(`L’historique de ${workflowId}`);
  const decoded = options.decoded === true;
  if (decoded) await decodeHistory(app.temporal, loaded.history);
  await app.audit.record({
    actor: actorOf(request), action: decoded ? 'history.export.decoded' : 'history.export', target: options.target, ip: request.ip,
    details: { workflowId, source: loaded.source, runId: loaded.runId },
  });
  return reply
    .type('application/json')
    .header('x-history-source', loaded.source)
    .header('x-history-payloads', decoded ? 'decoded' : 'encrypted')
    .header('cache-control', 'no-store')
    .header('content-disposition', `attachment; filename="${workflowId}${decoded ? '.decoded' : ''}.json"`)
    .send(historyToJSON(loaded.history));
}

export const invoiceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { invoiceService: service, invoices } = app;

  app.post('/api/invoices', {
    config: { roles: ['submitter'] },
    schema: {
      tags: ['invoices'], operationId: 'submitInvoice',
      summary: 'Submit a claim: starts its workflow (or returns the existing one for this critère d\'archivage: `duplicate: true`). '
        + 'The critère d\'archivage is the idempotency key: the same claim with other values is a 409 naming the fields that differ (the first submission stands).',
      body: SubmitInvoiceBody,
      response: { 202: Receipt, 409: ErrorBody, ...errors },
    },
  }, async (request, reply) => {
    const { invoice, receivedOn, batchId } = request.body;
    const receipt = await service.submit({ invoice, receivedOn, batchId });
    return reply.status(202).header('location', `/api/invoices/${receipt.id}`).send(receipt);
  });

  app.get('/api/invoices', {
    config: { roles: READERS },
    schema: {
      tags: ['invoices'], operationId: 'listInvoices',
      summary: 'Claims, newest first, filtered by status, motif, N° PS, batch or version of the rules that decided them',
      querystring: InvoiceListQuery,
      response: { 200: InvoiceList, ...errors },
    },
  }, async (request) => {
    const { status, motif, ps, batchId, rulesVersion, q, limit = 50, offset = 0 } = request.query;
    const { items, total } = await invoices.list({ status, motif, practitionerNumber: ps, batchId, rulesVersion, q, limit, offset });
    return {
      items: items.map((r) => {
        const { decision: _d, trace: _t, email: _e, trame: _m, ...rest } = view(r);
        return rest;
      }),
      total, limit, offset,
    };
  });

  app.get('/api/invoices/:id', {
    config: { roles: ANY_ROLE },
    schema: {
      tags: ['invoices'], operationId: 'getInvoice',
      summary: 'A claim: status, decision (spec §8 result) and analysis trace',
      params: IdParams,
      response: { 200: InvoiceView, 404: ErrorBody, ...errors },
    },
  }, async (request) => {
    const record = await invoices.get(request.params.id);
    if (!record) throw notFound(`La facture ${request.params.id}`);
    // Its decision's trace names the beneficiary: a read of personal data.
    await app.audit.record({ actor: actorOf(request), action: 'invoice.read', target: record.archiveKey, ip: request.ip });
    return view(record);
  });

  app.get('/api/invoices/:id/history', {
    config: { roles: READERS },
    schema: {
      tags: ['invoices'], operationId: 'getInvoiceHistory',
      summary: 'The Temporal event history of the claim\'s workflow (JSON, replayable with npm run replay -- --file): '
        + 'encrypted as stored (replay needs the payload keys), or decoded with `decoded=true`; from the archive once '
        + 'Temporal has dropped it. Audited.',
      params: IdParams,
      querystring: HistoryQuery,
      response: { 200: HistorySchema, 404: ErrorBody, ...errors },
    },
  }, async (request, reply) => {
    const record = await invoices.get(request.params.id);
    if (!record) throw notFound(`La facture ${request.params.id}`);
    return sendHistory(app, request, reply, invoiceWorkflowId(request.params.id), { target: record.archiveKey, decoded: request.query.decoded });
  });

  app.get('/api/histories/:workflowId', {
    config: { roles: READERS },
    schema: {
      tags: ['invoices'], operationId: 'getWorkflowHistory',
      summary: 'The history of an invoice or batch workflow (`invoice-…`, `batch-…`), latest run unless `runId`: '
        + 'encrypted as stored, or decoded with `decoded=true`; from the archive once Temporal has dropped it. Audited.',
      params: WorkflowParams,
      querystring: HistoryQuery,
      response: { 200: HistorySchema, 404: ErrorBody, ...errors },
    },
  }, async (request, reply) => {
    const { workflowId } = request.params;
    return sendHistory(app, request, reply, workflowId, { target: workflowId, decoded: request.query.decoded, runId: request.query.runId });
  });
};

export const invoiceTimelineRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { invoices, temporal: client, tasks, mailer } = app;
  const timeout = app.settings.temporalTimeoutMs ?? TEMPORAL_TIMEOUT_MS;
  app.get('/api/invoices/:id/timeline', {
    config: { roles: READERS },
    schema: {
      tags: ['invoices'], operationId: 'getInvoiceTimeline',
      summary: 'What happened to the claim, and when: received, each analysis step, decision, tasks, e-mail, end',
      params: IdParams, response: { 200: Type.Array(TimelineEntrySchema, { description: 'The moments of the claim\'s life, in order' }), 404: ErrorBody, 503: ErrorBody },
    },
  }, async (request) => {
    const record = await invoices.get(request.params.id);
    if (!record) throw notFound(`La facture ${request.params.id}`);
    const [loaded, decisions, taskList, email] = await Promise.all([
      loadHistory({ client, archive: app.archive }, timeout, record.workflowId),
      invoices.decisionsOf(record.archiveKey),
      tasks.ofInvoice(record.archiveKey),
      record.emailId ? mailer.get(record.emailId) : Promise.resolve(null),
    ]);
    if (!loaded) throw notFound(`L’historique de la facture ${record.archiveKey}`);
    await decodeHistory(client, loaded.history);
    await app.audit.record({ actor: actorOf(request), action: 'timeline.read', target: record.archiveKey, ip: request.ip });
    return invoiceTimeline({ record, history: loaded.history, decisions, tasks: taskList, email });
  });
};
