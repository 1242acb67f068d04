// Outputs: the e-mails sent (or written to .data/outbox/), the Trame SSTT of open manager rows, and its re-import.

import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { openManagerTrame } from '../../activities/outputs.js';
import type { AppDependencies } from '../app.js';
import { BULK_REQUEST_TIMEOUT_MS } from '../deadlines.js';
import { HttpError, notFound } from '../errors.js';
import { todayInFrance } from '../invoice-service.js';
import { BatchFilterSchema, ErrorBody, limitSchema, OffsetSchema } from '../schemas.js';
import { actorOf } from './tasks.js';
import { importTrame } from '../trame-import.js';

const OutboxQuery = Type.Object({
  batchId: BatchFilterSchema,
  ps: Type.Optional({ ...Type.String({ pattern: '^[0-9]{9}$' }), errorMessage: 'must be 9 digits (N° PS)' }),
  kind: Type.Optional({ ...Type.Union([Type.Literal('ps_reply'), Type.Literal('escalation')]), errorMessage: 'must be ps_reply or escalation' }),
  limit: limitSchema(200),
  offset: OffsetSchema,
});

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export const outputRoutes: FastifyPluginAsync<{ deps: AppDependencies }> = async (app, { deps }) => {
  const { mailer } = deps;

  app.get<{ Querystring: Static<typeof OutboxQuery> }>('/api/outbox', {
    schema: { tags: ['outputs'], summary: 'E-mails to practitioners and escalations, newest first', querystring: OutboxQuery },
  }, async (request) => {
    const { batchId, ps, kind, limit = 50, offset = 0 } = request.query;
    const { items, total } = await mailer.list({ batchId, practitionerNumber: ps, kind, limit, offset });
    return {
      items: items.map(({ html: _h, text: _t, ...summary }) => summary),
      total, limit, offset,
    };
  });

  app.get<{ Params: { id: string } }>('/api/outbox/:id', {
    schema: { tags: ['outputs'], summary: 'One e-mail: headers, HTML and text', params: Type.Object({ id: Type.String({ maxLength: 300 }) }), response: { 404: ErrorBody } },
  }, async (request) => {
    const mail = await mailer.get(request.params.id);
    if (!mail) throw notFound(`E-mail ${request.params.id}`);
    return mail;
  });

  app.get('/api/trames/open.xlsx', {
    config: { answerWithinMs: BULK_REQUEST_TIMEOUT_MS },
    schema: { tags: ['outputs'], summary: 'A Trame SSTT of every row still open for managers' },
  }, async (_request, reply) => {
    const { content } = await openManagerTrame(deps);
    return reply.type(XLSX)
      .header('content-disposition', `attachment; filename="trame-sstt-ouvertes-${todayInFrance()}.xlsx"`)
      .send(content);
  });

  app.post('/api/trames', {
    config: { answerWithinMs: BULK_REQUEST_TIMEOUT_MS },
    schema: {
      tags: ['outputs'],
      summary: 'Re-import a Trame SSTT filled by a manager (multipart, field « file »): the rows with « Gestionnaire Almerys » and « Almerys – traité le » close their tasks. A file with any error applies nothing.',
      consumes: ['multipart/form-data'],
      response: { 200: Type.Object({}, { additionalProperties: true }), 400: ErrorBody, 422: Type.Object({}, { additionalProperties: true }) },
    },
  }, async (request, reply) => {
    if (!request.isMultipart()) throw new HttpError(400, 'Send the workbook as multipart/form-data, in a field named « file »');
    const file = await request.file({ limits: { fileSize: 20 * 1024 * 1024 } });
    if (!file) throw new HttpError(400, 'No file: send the workbook in a field named « file »');
    const content = await file.toBuffer();
    const report = await importTrame(deps, content, actorOf(request));
    return reply.code(report.errors.length ? 422 : 200).send(report);
  });
};
