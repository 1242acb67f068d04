// « Documents multi factures »: submission, progress, and the batch's Trame SSTT.

import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Invoice } from '../../rules/types.js';
import { batchStatusQuery, batchWorkflowId } from '../../workflows/contract.js';
import type { AppDependencies } from '../app.js';
import { BULK_REQUEST_TIMEOUT_MS, TEMPORAL_TIMEOUT_MS, withinDeadline } from '../deadlines.js';
import { badRequest, notFound } from '../errors.js';
import { todayInFrance } from '../invoice-service.js';
import { BatchIdSchema, BatchReceipt, ErrorBody, SubmitBatchBody } from '../schemas.js';

const BatchParams = Type.Object({ id: BatchIdSchema });

export const batchRoutes: FastifyPluginAsync<{ deps: AppDependencies }> = async (app, { deps }) => {
  const { service, outputs, client } = deps;
  const timeout = deps.temporalTimeoutMs ?? TEMPORAL_TIMEOUT_MS;

  app.post<{ Body: Static<typeof SubmitBatchBody> }>('/api/batches', {
    config: { answerWithinMs: BULK_REQUEST_TIMEOUT_MS },
    schema: {
      tags: ['batches'],
      summary: 'Submit a « multi factures » document: one workflow per invoice, then the e-mails, the Trame and « FIN OK »',
      body: SubmitBatchBody,
      response: { 202: BatchReceipt, 400: ErrorBody, 503: ErrorBody },
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
    const batchId = request.body.batchId ?? `lot-${todayInFrance().replaceAll('-', '')}-${randomUUID().slice(0, 8)}`;
    const receipt = await service.submitBatch({ batchId, receivedOn: receivedOn ?? todayInFrance(), invoices: batch as Invoice[] });
    return reply.status(202).header('location', `/api/batches/${batchId}`).send(receipt);
  });

  app.get<{ Params: Static<typeof BatchParams> }>('/api/batches/:id', {
    schema: {
      tags: ['batches'],
      summary: 'A batch\'s progress: decided, routed, e-mailed, its Trame and its GTO closure',
      params: BatchParams, response: { 404: ErrorBody },
    },
  }, async (request) => {
    const progress = await outputs.batchProgress(request.params.id);
    if (!progress) throw notFound(`Batch ${request.params.id}`);
    // The workflow's own view (phase, skipped invoices) when it can be had quickly; the database's otherwise.
    const live = await withinDeadline(client, Math.min(timeout, 3000), () =>
      client.workflow.getHandle(batchWorkflowId(progress.id)).query(batchStatusQuery)).catch(() => null);
    return { ...progress, phase: live?.phase ?? (progress.status === 'closed' ? 'closed' : null), skipped: live?.skipped ?? [] };
  });

  app.get<{ Params: Static<typeof BatchParams> }>('/api/batches/:id/trame.xlsx', {
    schema: { tags: ['batches'], summary: 'The batch\'s Trame SSTT workbook', params: BatchParams, response: { 404: ErrorBody } },
  }, async (request, reply) => {
    const latest = await outputs.latestTrameOfBatch(request.params.id);
    const trame = latest ? await outputs.trame(latest.id) : null;
    if (!trame) throw notFound(`Trame of batch ${request.params.id} (written once every invoice is decided)`);
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="trame-sstt-${request.params.id}.xlsx"`)
      .send(trame.content);
  });
};
