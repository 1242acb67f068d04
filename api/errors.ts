// HTTP errors: one class (HttpError, an AppError of rules/errors.ts: a stable `code`, `retryable`), one shape — RFC 9457
// problem details (`application/problem+json`: `type` /problems/<code>, `title` and `detail` in French, `status`,
// `code`, `errors[{ path, message }]`; `message` repeats `detail` for the clients of earlier versions) — and one
// mapping of any error to it (toHttpError, used by the app's error handler): our own refusals as they are, fastify's
// 4xx in French by their code, the shared errors that have a meaning in HTTP (a task conflict), a backing service
// unreachable → 503 (retryable), a value PostgreSQL refused → 400, else 500.

import type { FastifyReply } from 'fastify';
import { TaskConflict } from '../db/tasks.js';
import { AppError, isDataException, unavailableDependency } from '../rules/errors.js';
import type { FieldError } from '../rules/schema.js';

/** An error as it may be logged (its home is logging.ts, shared by every process). */
export { sanitizeError, type SanitizedError } from '../logging.js';

export interface HttpErrorOptions {
  /** Default `http_<status>`. */
  code?: string;
  /** Default: true for 503 (the same request may succeed later). */
  retryable?: boolean;
  cause?: unknown;
  /** The error was not ours (a bug, a dependency): the handler logs it, sanitised. */
  unexpected?: boolean;
}

export class HttpError extends AppError {
  override readonly name = 'HttpError';
  readonly code: string;
  override readonly retryable: boolean;
  readonly unexpected: boolean;
  constructor(readonly statusCode: number, message: string, readonly errors?: FieldError[], options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? `http_${statusCode}`;
    this.retryable = options.retryable ?? statusCode === 503;
    this.unexpected = options.unexpected ?? false;
  }

  /** The response body: problem details (RFC 9457). */
  body(): ProblemDetails {
    return problemDetails(this.statusCode, this.code, this.message, this.errors);
  }
}

/** RFC 9457 problem details, as every 4xx and 5xx of the API answers them. */
export interface ProblemDetails {
  /** `/problems/<code>`: what the problem is, one URI per kind (GET it for its description). */
  type: string;
  /** The kind's title, in French: the same for every occurrence. */
  title: string;
  status: number;
  /** This occurrence, in French: what was wrong and what to do. */
  detail: string;
  /** Stable, machine-readable (`task_conflict`, `invalid_request`…). */
  code: string;
  /** The same as `detail` (the error format of earlier versions). */
  message: string;
  /** The fields at fault, when a request was invalid. */
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
export const PROBLEM_PATH = '/problems/';

/** Each kind of problem the API answers, by code: its French title. */
export const PROBLEM_TITLES: Readonly<Record<string, string>> = {
  invalid_request: 'Requête invalide',
  invalid_json: 'JSON invalide',
  unsupported_media_type: 'Type de contenu non pris en charge',
  payload_too_large: 'Requête trop volumineuse',
  value_not_stored: 'Valeur refusée',
  authentication_required: 'Authentification requise',
  invalid_credentials: 'Identifiants refusés',
  forbidden: 'Accès refusé',
  csrf_refused: 'Requête refusée (protection CSRF)',
  too_many_requests: 'Trop de requêtes',
  not_found: 'Introuvable',
  route_not_found: 'Adresse inconnue',
  task_conflict: 'Conflit sur la tâche',
  already_resolved: 'Tâche déjà résolue',
  claimed_by_other: 'Tâche prise par un collègue',
  refused: 'Résolution refusée',
  conflict: 'Conflit',
  claim_conflict: 'Réclamation déjà reçue avec d\'autres valeurs',
  batch_conflict: 'Lot déjà reçu avec d\'autres factures',
  batch_empty: 'Lot sans facture',
  mail_sent: 'E-mail déjà parti',
  mail_sending: 'E-mail en cours d\'envoi',
  mail_is_reply: 'Réponse au PS : à traiter par sa tâche',
  mail_retrying: 'E-mail en cours de reprise',
  payload_undecryptable: 'Donnée indéchiffrable',
  not_multipart: 'Fichier attendu (multipart/form-data)',
  no_file: 'Aucun fichier',
  idempotency_key_reused: 'Clé d\'idempotence déjà utilisée',
  idempotency_key_in_use: 'Requête déjà en cours',
  trame_refused: 'Trame refusée',
  trame_too_many_rows: 'Trame trop longue',
  imports_busy: 'Imports de Trame déjà en cours',
  live_full: 'Trop de suivis en direct',
  webhook_disabled: 'Point de réception désactivé',
  temporal_unavailable: 'Service indisponible',
  database_unavailable: 'Service indisponible',
  not_answering: 'Service indisponible',
  internal_error: 'Erreur interne',
};

/** Titles of the codes without one of their own (`http_<status>`). */
const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: 'Requête invalide', 401: 'Authentification requise', 403: 'Accès refusé', 404: 'Introuvable',
  405: 'Méthode non autorisée', 406: 'Format de réponse non disponible', 409: 'Conflit', 410: 'N\'existe plus',
  413: 'Requête trop volumineuse', 415: 'Type de contenu non pris en charge', 422: 'Contenu non traitable',
  429: 'Trop de requêtes', 500: 'Erreur interne', 501: 'Non disponible', 502: 'Service indisponible',
  503: 'Service indisponible', 504: 'Service indisponible',
};

export function problemTitle(code: string, status: number): string {
  return PROBLEM_TITLES[code] ?? STATUS_TITLES[status] ?? (status >= 500 ? 'Erreur du serveur' : 'Requête refusée');
}

export function problemDetails(status: number, code: string, detail: string, errors?: FieldError[]): ProblemDetails {
  return {
    type: `${PROBLEM_PATH}${code}`, title: problemTitle(code, status), status, detail, code, message: detail,
    ...(errors ? { errors } : {}),
  };
}

/** Sends a problem (hooks and handlers that answer without throwing). */
export function sendProblem(reply: FastifyReply, error: HttpError): FastifyReply {
  return reply.code(error.statusCode).type(PROBLEM_CONTENT_TYPE).send(error.body());
}

export const badRequest = (errors: FieldError[]) =>
  new HttpError(400, `Requête invalide : ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors, { code: 'invalid_request' });
/** `what` in French, with its article where it reads better: « La facture 2901122401 », « L'e-mail x ». */
export const notFound = (what: string) => new HttpError(404, `${what} : introuvable`, undefined, { code: 'not_found' });

export const VALUE_NOT_STORED = 'Requête invalide : une valeur n\'a pas pu être enregistrée';
export const TEMPORAL_UNAVAILABLE = 'Le serveur Temporal est indisponible : la demande n\'a pas été traitée, réessayez plus tard';
export const DATABASE_UNAVAILABLE = 'La base de données est indisponible : la demande n\'a pas été traitée, réessayez plus tard';
export const INTERNAL_ERROR = 'Erreur interne : la demande n\'a pas abouti (l\'erreur est enregistrée dans le journal du serveur)';

/** fastify's own 4xx, by their code: in French, with a code of ours. */
const FRAMEWORK_ERRORS: Readonly<Record<string, { code: string; detail: string }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    detail: 'Type de contenu non pris en charge : envoyez application/json (ou le type que l\'opération documente)',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'invalid_request', detail: 'Requête invalide : Content-Length ne correspond pas au corps' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', detail: 'Requête trop volumineuse : le corps dépasse la taille admise' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', detail: 'JSON invalide : le corps est vide alors que Content-Type est application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', detail: 'JSON invalide : le corps n\'a pas pu être lu' },
  FST_ERR_BAD_URL: { code: 'invalid_request', detail: 'Requête invalide : l\'adresse est mal formée' },
  FST_ERR_ASYNC_CONSTRAINT: { code: 'invalid_request', detail: 'Requête invalide' },
};

/** fastify's own 4xx (malformed JSON, unsupported media type, body too large…): not an AppError, a `statusCode`. */
function frameworkClientError(err: unknown): { statusCode: number; message: string; code?: string } | null {
  const e = err as { statusCode?: unknown; message?: unknown; code?: unknown } | null;
  if (!e || err instanceof AppError || typeof e.statusCode !== 'number' || e.statusCode < 400 || e.statusCode >= 500) return null;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const known = code ? FRAMEWORK_ERRORS[code] : undefined;
  if (known) return { statusCode: e.statusCode, message: known.detail, code: known.code };
  // The JSON parser's own error: its message names the position of the fault, kept after the French.
  if (e instanceof SyntaxError) return { statusCode: 400, message: `JSON invalide : ${String(e.message)}`, code: 'invalid_json' };
  return { statusCode: e.statusCode, message: String(e.message), code };
}

/** Any error as the HTTP error the API answers. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof TaskConflict) return new HttpError(err.reason === 'not_found' ? 404 : 409, err.message, undefined, { code: err.code, cause: err });
  const framework = frameworkClientError(err);
  if (framework) return new HttpError(framework.statusCode, framework.message, undefined, { code: framework.code, cause: err });
  switch (unavailableDependency(err)) {
    case 'temporal': return new HttpError(503, TEMPORAL_UNAVAILABLE, undefined, { code: 'temporal_unavailable', cause: err, unexpected: true });
    case 'database': return new HttpError(503, DATABASE_UNAVAILABLE, undefined, { code: 'database_unavailable', cause: err, unexpected: true });
    default:
      return isDataException(err)
        ? new HttpError(400, VALUE_NOT_STORED, undefined, { code: 'value_not_stored', cause: err, unexpected: true })
        : new HttpError(500, INTERNAL_ERROR, undefined, { code: 'internal_error', cause: err, unexpected: true });
  }
}
