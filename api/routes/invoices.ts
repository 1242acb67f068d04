import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { InvoiceRecord } from '../../db/invoices.js';
import type { Invoice } from '../../rules/types.js';
import { invoiceWorkflowId } from '../../workflows/contract.js';
import type { AppDependencies } from '../app.js';
import { badRequest, notFound } from '../errors.js';
import { todayInFrance } from '../invoice-service.js';
import {
  BatchReceipt, ErrorBody, IdParams, InvoiceList, InvoiceListQuery, InvoiceView, Receipt, SubmitBatchBody, SubmitInvoiceBody,
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
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

const errors = { 400: ErrorBody, 503: ErrorBody };

export const invoiceRoutes: FastifyPluginAsync<{ deps: AppDependencies }> = async (app, { deps }) => {
  const { service, invoices, client } = deps;
  const timeout = deps.temporalTimeoutMs ?? 10_000;

  app.post<{ Body: Static<typeof SubmitInvoiceBody> }>('/api/invoices', {
    schema: {
      tags: ['invoices'],
      summary: 'Submit a claim: starts its workflow (or returns the existing one for this critère d\'archivage)',
      body: SubmitInvoiceBody,
      response: { 202: Receipt, ...errors },
    },
  }, async (request, reply) => {
    const { invoice, receivedOn, batchId } = request.body;
    const receipt = await service.submit({ invoice: invoice as Invoice, receivedOn: receivedOn ?? todayInFrance(), batchId });
    return reply.status(202).header('location', `/api/invoices/${receipt.id}`).send(receipt);
  });

  app.post<{ Body: Static<typeof SubmitBatchBody> }>('/api/batches', {
    schema: {
      tags: ['invoices'],
      summary: 'Submit a « multi factures » document: one workflow per invoice',
      body: SubmitBatchBody,
      response: { 202: BatchReceipt, ...errors },
    },
  }, async (request, reply) => {
    const { invoices: batch, receivedOn } = request.body;
    const seen = new Map<string, number>();
    const duplicates = batch.flatMap((inv, i) => {
      const first = seen.get(inv.archiveKey);
      if (first === undefined) seen.set(inv.archiveKey, i);
      return first === undefined ? [] : [{ path: `invoices[${i}].archiveKey`, message: `same critère d'archivage as invoices[${first}]` }];
    });
    if (duplicates.length) throw badRequest(duplicates);
    const batchId = request.body.batchId ?? `batch-${todayInFrance().replaceAll('-', '')}-${randomUUID().slice(0, 8)}`;
    await invoices.ensureBatch(batchId, batch.length);
    const day = receivedOn ?? todayInFrance();
    const receipts = [];
    // A few at a time: enough to keep Temporal busy, not enough to flood it.
    for (let i = 0; i < batch.length; i += 16) {
      receipts.push(...(await Promise.all(batch.slice(i, i + 16).map((invoice) =>
        service.submit({ invoice: invoice as Invoice, receivedOn: day, batchId })))));
    }
    return reply.status(202).send({ batchId, invoices: receipts });
  });

  app.get<{ Querystring: Static<typeof InvoiceListQuery> }>('/api/invoices', {
    schema: {
      tags: ['invoices'],
      summary: 'Claims, newest first, filtered by status, motif, N° PS or batch',
      querystring: InvoiceListQuery,
      response: { 200: InvoiceList, ...errors },
    },
  }, async (request) => {
    const { status, motif, ps, batchId, limit = 50, offset = 0 } = request.query;
    const { items, total } = await invoices.list({ status, motif, practitionerNumber: ps, batchId, limit, offset });
    return {
      items: items.map((r) => {
        const { decision: _d, trace: _t, ...rest } = view(r);
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
    const history = await client.connection.withDeadline(Date.now() + timeout, () =>
      client.workflow.getHandle(invoiceWorkflowId(request.params.id)).fetchHistory());
    return reply.type('application/json').send(historyToJSON(history));
  });
};
