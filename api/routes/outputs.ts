// Outputs: the e-mails sent (or written to .data/outbox/), the Trame SSTT of open manager rows, and its re-import.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { openManagerTrame } from '../../activities/trame/service.js';
import { MAIL_KINDS, MAIL_STATUSES, type SentMail } from '../../activities/mail/mailer.js';
import { mailRetryWorkflow, mailRetryWorkflowId } from '../../workflows/mail.js';
import { actorOf, READERS } from '../auth.js';
import { BULK_REQUEST_TIMEOUT_MS, TEMPORAL_TIMEOUT_MS, withinDeadline } from '../deadlines.js';
import { HttpError, notFound, PROBLEM_CONTENT_TYPE, problemDetails, sendProblem } from '../errors.js';
import { todayInFrance } from '../invoice-service.js';
import type { Static } from '@sinclair/typebox';
import {
  BatchFilterSchema, ErrorBody, FileResponse, limitSchema, MailListSchema, MailSchema, MailSummarySchema, OffsetSchema, type SameShape,
} from '../schemas.js';
import { problemResponse } from '../openapi.js';
import { importTrame } from '../trame-import.js';
import { MAX_REPORTED_ERRORS, TrameTooLarge } from '../../activities/trame/read.js';
import { loadTrameLimits } from '../../config.js';

const OutboxQuery = Type.Object({
  batchId: BatchFilterSchema,
  ps: Type.Optional({ ...Type.String({ pattern: '^[0-9]{9}$' }), errorMessage: 'doit comporter 9 chiffres (N° PS)' }),
  kind: Type.Optional({ ...Type.Union(MAIL_KINDS.map((k) => Type.Literal(k))), errorMessage: `doit être l'une des valeurs ${MAIL_KINDS.join(', ')}` }),
  status: Type.Optional({ ...Type.Union(MAIL_STATUSES.map((s) => Type.Literal(s))), errorMessage: `doit être l'une des valeurs ${MAIL_STATUSES.join(', ')}` }),
  limit: limitSchema(200),
  offset: OffsetSchema,
});

const MailParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 300 }) });
const RetryBody = Type.Union([Type.Null(), Type.Object({
  to: Type.Optional(Type.Array(Type.String({ pattern: '^[^\\s@]+@[^\\s@]+$', maxLength: 254 }), { minItems: 1, maxItems: 20, description: 'The fixed address(es)' })),
})]);

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

// The schema is the outbox's type (a field the schema lacks would be dropped from the answer).
const mailShape: SameShape<Static<typeof MailSchema>, SentMail> = true;
void mailShape;

/** A Trame refused for its content: problem details and the import's report (its `errors` by row and column). */
const TrameRefusal = Type.Object({
  ...ErrorBody.properties,
  errors: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'The Trame\'s errors, by row and column' })),
}, { additionalProperties: true });
const TrameReport = Type.Object({}, { additionalProperties: true, description: 'The import\'s report: rows, closed, refused, ignored, each with a code and a French message' });

export const outputRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { mailer, temporal: client, settings } = app;

  app.get('/api/outbox', {
    config: { roles: READERS },
    schema: { tags: ['outputs'], operationId: 'listEmails', summary: 'E-mails to practitioners and escalations, newest first',
      querystring: OutboxQuery, response: { 200: MailListSchema },
    },
  }, async (request) => {
    const { batchId, ps, kind, status, limit = 50, offset = 0 } = request.query;
    const { items, total } = await mailer.list({ batchId, practitionerNumber: ps, kind, status, limit, offset });
    return {
      items: items.map(({ html: _h, text: _t, ...summary }) => summary),
      total, limit, offset,
    };
  });

  app.get('/api/outbox/:id', {
    config: { roles: READERS },
    schema: { tags: ['outputs'], operationId: 'getEmail', summary: 'One e-mail: headers, HTML and text', params: Type.Object({ id: Type.String({ maxLength: 300 }) }), response: { 200: MailSchema, 404: ErrorBody } },
  }, async (request) => {
    const mail = await mailer.get(request.params.id);
    if (!mail) throw notFound(`L’e-mail ${request.params.id}`);
    return mail;
  });

  app.post('/api/outbox/:id/retry', {
    config: { roles: ['manager'] },
    schema: {
      tags: ['outputs'], operationId: 'retryEmail',
      summary: 'Send a refused escalation e-mail again, once the address is fixed: to `to` when given, else to the managers\' address as configured now (MANAGERS_EMAIL). '
        + 'A PS reply the provider refused went to a manager as a task: resolve that task (« reply ») once the PS address is fixed in AGAPS.',
      params: MailParams, body: RetryBody,
      response: { 202: MailSummarySchema, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
    },
  }, async (request, reply) => {
    const mail = await mailer.get(request.params.id);
    if (!mail) throw notFound(`L’e-mail ${request.params.id}`);
    if (mail.status === 'sent') throw new HttpError(409, `L’e-mail ${mail.id} est parti (${mail.sentAt}) : il n'y a rien à renvoyer`, undefined, { code: 'mail_sent' });
    if (mail.status === 'sending') throw new HttpError(409, `L’e-mail ${mail.id} est en cours d'envoi : réessayez dans une minute`, undefined, { code: 'mail_sending' });
    if (mail.kind === 'ps_reply') {
      throw new HttpError(409, `L’e-mail ${mail.id} est une réponse au PS : ses factures (${mail.archiveKeys.join(', ')}) sont allées à un gestionnaire ; résolvez leur tâche par « reply » une fois l'adresse du PS corrigée`, undefined, { code: 'mail_is_reply' });
    }
    const to = request.body?.to;
    if (mail.status === 'pending' && to && to.join(',') !== mail.to.join(',')) {
      throw new HttpError(409, `L’e-mail ${mail.id} n'est pas refusé, son envoi est en cours de reprise (${mail.error ?? 'aucune erreur enregistrée'}) : il part tel quel, son adresse ne peut plus changer`, undefined, { code: 'mail_retrying' });
    }
    // A refused escalation goes to the managers' address as configured now, unless another one is given.
    const requeued = (await mailer.requeue(mail.id, { to: to ?? settings.managersEmail }))!;
    await withinDeadline(client, settings.temporalTimeoutMs ?? TEMPORAL_TIMEOUT_MS, () =>
      client.workflow.start(mailRetryWorkflow, {
        taskQueue: settings.taskQueue, workflowId: mailRetryWorkflowId(mail.id, requeued.retries), args: [{ id: mail.id }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }));
    await app.audit.record({
      actor: actorOf(request), action: 'outbox.retry', target: mail.id,
      details: { kind: mail.kind, to: requeued.to, retries: requeued.retries }, ip: request.ip,
    });
    const { html: _h, text: _t, ...summary } = requeued;
    return reply.status(202).send(summary);
  });

  app.get('/api/trames/open.xlsx', {
    config: { roles: READERS, answerWithinMs: BULK_REQUEST_TIMEOUT_MS },
    schema: { tags: ['outputs'], operationId: 'getOpenTrame', summary: 'A Trame SSTT of every row still open for managers',
      response: { 200: FileResponse<Buffer>('The workbook (.xlsx)', XLSX) },
    },
  }, async (_request, reply) => {
    const { content } = await openManagerTrame({ invoices: app.invoices, trames: app.trames, operatorName: settings.operatorName });
    return reply.type(XLSX)
      .header('content-disposition', `attachment; filename="trame-sstt-ouvertes-${todayInFrance()}.xlsx"`)
      .send(content);
  });

  // Imports of a Trame at once: each holds at most its upload, a page of rows and what it inflates at a time.
  const limits = settings.trameLimits ?? loadTrameLimits();
  let importing = 0;

  app.post('/api/trames', {
    config: { roles: ['manager'], answerWithinMs: BULK_REQUEST_TIMEOUT_MS },
    schema: {
      tags: ['outputs'], operationId: 'importTrame',
      summary: 'Re-import a Trame SSTT filled by a manager (multipart, field « file »): the rows with « Gestionnaire Almerys » and « Almerys – traité le » close their tasks, '
        + 'in the name of the manager sending it; a row whose task another manager has claimed is refused (left to them). A file with any error applies nothing. '
        + 'Each error (`errors`) and each row\'s outcome (`closed`, `refused`, `ignored`) has a stable `code` and a French message. '
        + `Bounded: ${limits.maxUploadBytes} bytes uploaded (413), ${limits.maxUncompressedBytes} bytes once inflated (413), ${limits.maxRows} rows (422), `
        + `${limits.maxConcurrentImports} imports at once (503 with Retry-After).`,
      consumes: ['multipart/form-data'],
      response: {
        200: TrameReport, 400: ErrorBody, 413: ErrorBody,
        422: problemResponse(422, TrameRefusal, 'The Trame was refused (`trame_refused`, nothing applied; its errors by row and column), or has too many rows (`trame_too_many_rows`)'),
        503: ErrorBody,
      },
    },
  }, async (request, reply) => {
    if (!request.isMultipart()) {
      throw new HttpError(400, 'Envoyez le classeur en multipart/form-data, dans un champ nommé « file ».', undefined, { code: 'not_multipart' });
    }
    const file = await request.file({ limits: { fileSize: limits.maxUploadBytes, files: 1 } });
    if (!file) throw new HttpError(400, 'Aucun fichier : envoyez le classeur dans un champ nommé « file ».', undefined, { code: 'no_file' });
    if (importing >= limits.maxConcurrentImports) {
      // Read to the end (within the upload limit) so that the client gets the answer, not a reset connection.
      file.file.resume();
      await new Promise((resolve) => { file.file.once('end', resolve).once('error', resolve); });
      return sendProblem(reply.header('retry-after', String(IMPORT_RETRY_AFTER_SECONDS)), new HttpError(503,
        `Import refusé pour l'instant : ${limits.maxConcurrentImports} imports de Trame sont déjà en cours `
          + `(limite TRAME_MAX_CONCURRENT_IMPORTS = ${limits.maxConcurrentImports}). Réessayez dans ${IMPORT_RETRY_AFTER_SECONDS} secondes.`,
        undefined, { code: 'imports_busy' }));
    }
    importing++;
    const principal = request.principal!;
    const audit = (target: string | null, details: Record<string, unknown>) =>
      app.audit.record({ actor: actorOf(request), action: 'trame.import', target, details, ip: request.ip });
    try {
      let content: Buffer;
      try {
        content = await file.toBuffer();
      } catch (err) {
        if ((err as { code?: string }).code !== 'FST_REQ_FILE_TOO_LARGE') throw err;
        throw new HttpError(413, `Fichier refusé : il dépasse ${megabytes(limits.maxUploadBytes)} `
          + `(limite TRAME_MAX_UPLOAD_BYTES = ${limits.maxUploadBytes} octets).`, undefined, { code: 'payload_too_large' });
      }
      const report = await importTrame({
        invoices: app.invoices, trames: app.trames, tasks: app.tasks, database: app.database, client,
        operatorName: settings.operatorName, temporalTimeoutMs: settings.temporalTimeoutMs,
      }, content, { principal, limits });
      await audit(report.batchId, {
        rows: report.rows, closed: report.closed.length, refused: report.refused.length, errors: report.errorCount,
      });
      if (!report.errorCount) return reply.code(200).send(report);
      const listed = report.errorCount > MAX_REPORTED_ERRORS ? ` (les ${MAX_REPORTED_ERRORS} premières détaillées par ligne dans « errors »)` : ' (détaillée(s) par ligne dans « errors »)';
      const detail = `Trame refusée : ${report.errorCount} erreur(s), rien n'a été appliqué${listed}.`;
      // Problem details, and the import's report (its `errors` are the Trame's, by row and column).
      return reply.code(422).type(PROBLEM_CONTENT_TYPE).send({ ...problemDetails(422, 'trame_refused', detail), ...report });
    } catch (err) {
      const refusal = err instanceof TrameTooLarge
        ? new HttpError(err.limit === 'rows' ? 422 : 413, err.message, undefined, { code: err.limit === 'rows' ? 'trame_too_many_rows' : 'payload_too_large' })
        : err instanceof HttpError && err.statusCode === 413 ? err : null;
      if (!refusal) throw err;
      await audit(null, { rows: 0, closed: 0, refused: 0, errors: 1, status: refusal.statusCode, message: refusal.message });
      throw refusal;
    } finally {
      importing--;
    }
  });
};

const IMPORT_RETRY_AFTER_SECONDS = 10;
const megabytes = (bytes: number) => `${Math.round(bytes / 1024 / 1024).toLocaleString('fr-FR')} Mo`;
