// The audit log, read-only (db/audit.ts; the table refuses UPDATE and DELETE): a page of entries, newest first, for
// admins and auditors; and an export (NDJSON or CSV) of a period, itself recorded.

import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AUDIT_ACTIONS, type AuditEntry } from '../../db/audit.js';
import { actorOf } from '../auth.js';
import { csvCell } from '../csv.js';
import { ErrorBody, FileResponse } from '../schemas.js';

const Instant = Type.String({ format: 'date-time', description: 'ISO 8601 instant' });
const AuditQuery = Type.Object({
  action: Type.Optional({ ...Type.Union(AUDIT_ACTIONS.map((a) => Type.Literal(a))), errorMessage: `doit être l'une des valeurs ${AUDIT_ACTIONS.join(', ')}` }),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'a key id' })),
  from: Type.Optional(Instant),
  to: Type.Optional(Instant),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'entries older than this id (next page)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
}, { additionalProperties: false });
const ExportQuery = Type.Object({
  format: Type.Optional({ ...Type.Union([Type.Literal('ndjson'), Type.Literal('csv')]), errorMessage: 'doit valoir ndjson ou csv' }),
  from: Type.Optional(Instant),
  to: Type.Optional(Instant),
}, { additionalProperties: false });

const Entry = Type.Object({
  id: Type.Integer(), at: Type.String(), actorKeyId: Type.Union([Type.String(), Type.Null()]), actorName: Type.String(),
  actorRole: Type.Union([Type.String(), Type.Null()]), action: Type.String(), target: Type.Union([Type.String(), Type.Null()]),
  details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]), ip: Type.Union([Type.String(), Type.Null()]),
});
const AuditPage = Type.Object({ entries: Type.Array(Entry), next: Type.Union([Type.Integer(), Type.Null()]) });

const CSV_COLUMNS = ['id', 'at', 'actorKeyId', 'actorName', 'actorRole', 'action', 'target', 'details', 'ip'] as const;
const csvLine = (entry: AuditEntry) => CSV_COLUMNS.map((c) => csvCell(entry[c])).join(',');

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/audit', {
    config: { roles: ['auditor'] },
    schema: {
      tags: ['access'], operationId: 'listAudit',
      summary: 'The audit log, newest first: every state-changing action and every read of personal data (never editable)',
      querystring: AuditQuery,
      response: { 200: AuditPage, 400: ErrorBody },
    },
  }, async (request) => {
    const { action, target, actor, from, to, before, limit = 100 } = request.query;
    const entries = await app.audit.list({ action, target, actorKeyId: actor, from, to, before, limit });
    return { entries, next: entries.length === limit ? entries.at(-1)!.id : null };
  });

  app.get('/api/audit/export', {
    config: { roles: ['auditor'] },
    schema: {
      tags: ['access'], operationId: 'exportAudit',
      summary: 'The audit log of a period, oldest first, as NDJSON (default) or CSV; the export is itself recorded',
      querystring: ExportQuery,
      response: { 200: FileResponse<Readable>('NDJSON or CSV', 'application/x-ndjson', 'text/csv'), 400: ErrorBody },
    },
  }, async (request, reply) => {
    const { format = 'ndjson', from, to } = request.query;
    await app.audit.record({ actor: actorOf(request), action: 'audit.export', ip: request.ip, details: { format, from: from ?? null, to: to ?? null } });
    // Streamed in pages of 5 000, by id: bounded memory whatever the period.
    async function* lines() {
      if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\n`;
      for (let after = 0; ;) {
        const page = await app.audit.list({ from, to, order: 'oldest', limit: 5000, after });
        if (page.length) yield `${page.map((e) => (format === 'csv' ? csvLine(e) : JSON.stringify(e))).join('\n')}\n`;
        if (page.length < 5000) return;
        after = page.at(-1)!.id;
      }
    }
    const stamp = new Date().toISOString().slice(0, 10);
    return reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-${stamp}.${format}"`)
      .send(Readable.from(lines()));
  });
};
