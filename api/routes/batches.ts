// « Documents multi factures »: submission (in one request, or in pages), progress, and the batch's Trame SSTT.
// A batch is its GTO task: `batchId` is its idempotency key — the same request again answers the batch as it is (200),
// other invoices under the same id are a 409 naming them.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { batchStatusQuery, batchWorkflowId } from '../../workflows/contract.js';
import { ANY_ROLE, READERS } from '../auth.js';
import { BULK_REQUEST_TIMEOUT_MS, TEMPORAL_TIMEOUT_MS, withinDeadline } from '../deadlines.js';
import { badRequest, notFound } from '../errors.js';
import { todayInFrance } from '../invoice-service.js';
import type { Static } from '@sinclair/typebox';
import type { BatchProgress } from '../../db/batches.js';
import {
  BatchIdSchema, BatchPageBody, BatchProgressSchema, BatchReceipt, BatchViewSchema, ErrorBody, FileResponse, SubmitBatchBody, type SameShape,
} from '../schemas.js';

const BatchParams = Type.Object({ id: BatchIdSchema });
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
// The schema is the repository's type (a field the schema lacks would be dropped from the answer).
const progressShape: SameShape<Static<typeof BatchProgressSchema>, BatchProgress> = true;
void progressShape;

/** A request of up to 5 000 invoices (~1 KB each as JSON). */
const BATCH_BODY_LIMIT = 16 * 1024 * 1024;

/** 400 when the same critère d'archivage appears twice in one request. */
function refuseRepeats(invoices: { archiveKey: string }[]): void {
  const seen = new Map<string, number>();
  const repeats = invoices.flatMap((inv, i) => {
    const first = seen.get(inv.archiveKey);
    if (first === undefined) seen.set(inv.archiveKey, i);
    return first === undefined ? [] : [{ path: `invoices[${i}].archiveKey`, message: `same critère d'archivage as invoices[${first}]` }];
  });
  if (repeats.length) throw badRequest(repeats);
}

export const batchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { invoiceService: service, trames, batches, temporal: client } = app;
  const timeout = app.settings.temporalTimeoutMs ?? TEMPORAL_TIMEOUT_MS;

  app.post('/api/batches', {
    bodyLimit: BATCH_BODY_LIMIT,
    config: { roles: ['submitter'], answerWithinMs: BULK_REQUEST_TIMEOUT_MS },
    schema: {
      tags: ['batches'], operationId: 'submitBatch',
      summary: 'Submit a « multi factures » document (its GTO task id as batchId): one workflow per invoice, then the e-mails, the Trame and « FIN OK ». '
        + 'Up to 5 000 invoices a request; a larger document is sent with open: true, then pages (POST /api/batches/{id}/invoices), then POST /api/batches/{id}/close. '
        + 'The same request again answers the batch as it is (200); other invoices under the same batchId: 409. An invoice already known with the same content is adopted '
        + '(its decision counts for the batch); with another content, or in another batch, it is listed in `conflicts` and left out.',
      body: SubmitBatchBody,
      response: { 200: BatchReceipt, 202: BatchReceipt, 400: ErrorBody, 409: ErrorBody, 503: ErrorBody },
    },
  }, async (request, reply) => {
    const { batchId, invoices, receivedOn, open } = request.body;
    refuseRepeats(invoices);
    const answer = await service.submitBatch({
      batchId, receivedOn: receivedOn ?? todayInFrance(), invoices, complete: !open,
    });
    const { created, ...body } = answer;
    return reply.status(created ? 202 : 200).header('location', `/api/batches/${batchId}`).send(body);
  });

  app.post('/api/batches/:id/invoices', {
    bodyLimit: BATCH_BODY_LIMIT,
    config: { roles: ['submitter'], answerWithinMs: BULK_REQUEST_TIMEOUT_MS },
    schema: {
      tags: ['batches'], operationId: 'appendBatchInvoices',
      summary: 'Append a page of up to 5 000 invoices to an open batch (the same page again changes nothing). 409 once the batch is closed to new invoices.',
      params: BatchParams, body: BatchPageBody,
      response: { 200: BatchReceipt, 202: BatchReceipt, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
    },
  }, async (request, reply) => {
    refuseRepeats(request.body.invoices);
    const answer = await service.appendToBatch(request.params.id, request.body.invoices);
    const added = answer.invoices.some((r) => !r.duplicate || r.adopted);
    return reply.status(added ? 202 : 200).send(answer);
  });

  app.post('/api/batches/:id/close', {
    config: { roles: ['submitter'] },
    schema: {
      tags: ['batches'], operationId: 'closeBatch',
      summary: 'No more invoices: closes an open batch to new pages and starts it (its invoices\' workflows, then e-mails, Trame, « FIN OK »). Idempotent.',
      params: BatchParams,
      response: { 202: BatchReceipt, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
    },
  }, async (request, reply) => reply.status(202).send(await service.completeBatch(request.params.id)));

  app.get('/api/batches/:id', {
    config: { roles: ANY_ROLE },
    schema: {
      tags: ['batches'], operationId: 'getBatch',
      summary: 'A batch\'s progress: decided, routed, e-mailed, conflicts left out, its Trame and its GTO closure',
      params: BatchParams, response: { 200: BatchViewSchema, 404: ErrorBody },
    },
  }, async (request) => {
    const progress = await batches.progress(request.params.id);
    if (!progress) throw notFound(`Le lot ${request.params.id}`);
    // The workflow's own view (its phase, refused PS) when it can be had quickly; the database's otherwise.
    const live = progress.status === 'open' ? null : await withinDeadline(client, Math.min(timeout, 2000), () =>
      client.workflow.getHandle(batchWorkflowId(progress.id)).query(batchStatusQuery)).catch(() => null);
    return {
      ...progress,
      workflowId: batchWorkflowId(progress.id),
      phase: live?.phase ?? (progress.status === 'closed' ? 'closed' : progress.status === 'open' ? 'open' : null),
      refusedPractitioners: live?.refusedPractitioners ?? 0,
      refusedRows: live?.refusedRows ?? 0,
    };
  });

  app.get('/api/batches/:id/trame.xlsx', {
    config: { roles: READERS },
    schema: { tags: ['batches'], operationId: 'getBatchTrame', summary: 'The batch\'s Trame SSTT workbook', params: BatchParams, response: { 200: FileResponse<Buffer>('The workbook (.xlsx)', XLSX), 404: ErrorBody } },
  }, async (request, reply) => {
    const latest = await trames.latestTrameOfBatch(request.params.id);
    const trame = latest ? await trames.trame(latest.id) : null;
    if (!trame) throw notFound(`La Trame du lot ${request.params.id} (écrite une fois toutes ses factures décidées)`);
    return reply
      .type(XLSX)
      .header('content-disposition', `attachment; filename="trame-sstt-${request.params.id}.xlsx"`)
      .send(trame.content);
  });
};
