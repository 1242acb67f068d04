// `npm run backtest -- [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--motif M] [--limit N] [--json] [--current-data]`:
// today's rules (rules/) on the claims already decided (read from the database in keyset pages: db/backtest.ts), and
// what would move (rules/backtest.ts): per motif how many stay and how many move, and where (a from → to matrix), each
// moved claim with the first step whose finding changed, the reference facts used, the rules versions, the throughput.
//
// By default each claim is replayed on the reference facts its analysis read that day (recorded with the decision);
// a call the recording lacks — new rules looking something else up, or a claim decided before facts were recorded —
// is answered by today's reference data, and counted. `--current-data`: today's reference data for every call.
// `--json`: one JSON document on stdout (the whole report); progress and errors on stderr only. npm writes its own
// « > tp-rejects backtest » banner on stdout: for a script, `npm run -s backtest -- --json | jq …`.
//
// Exit 0 when it ran (moves or not: they are in its output), 2 when its arguments are wrong or the database cannot be
// reached, 1 on any other error.
// Environment (config.ts): DATABASE_URL (else the embedded PGlite under DATA_DIR: stop `npm start` first).

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rulesVersion } from '../activities/rules-version.js';
import { loadConfig } from '../config.js';
import { countDecidedClaims, decidedClaims, type BacktestFilter } from '../db/backtest.js';
import { openDatabase } from '../db/client.js';
import { createPostgresPorts } from '../db/ports.js';
import { backtest, type BacktestReport, type DecidedClaim, type Outcome } from '../rules/backtest.js';
import { isIsoDate } from '../rules/dates.js';
import { safeMessage, unavailableDependency } from '../rules/errors.js';
import { isMotifCode, motifLabel, MOTIF_CODES } from '../rules/motifs.js';

const USAGE = 'usage : npm run backtest -- [--since AAAA-MM-JJ] [--until AAAA-MM-JJ] [--motif <code|paid>] [--limit N] [--json] [--current-data]';
/** Progress on stderr every this many claims (only on a terminal). */
const PROGRESS_EVERY = 10_000;
/** Moved claims kept in full in the report (the counts cover all); the text output lists the first ones. */
const KEEP_MOVED = 1000;
const LISTED_MOVED = 50;

export interface BacktestArguments {
  filter: BacktestFilter;
  json: boolean;
  currentData: boolean;
  help: boolean;
}

/** A wrong argument, said in French. */
export class UsageError extends Error {}

/** Reads the command line; throws a UsageError naming what is wrong. */
export function parseBacktestArguments(args: string[]): BacktestArguments {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        since: { type: 'string' }, until: { type: 'string' }, motif: { type: 'string' }, limit: { type: 'string' },
        json: { type: 'boolean' }, 'current-data': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    const option = /--[a-z][\w-]*/.exec(message)?.[0] ?? /'([^']+)'/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`option inconnue : ${option ?? message}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`valeur manquante ou invalide pour ${option ?? 'une option'}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`argument inattendu : ${option ?? message}`);
    throw new UsageError(`arguments invalides : ${message}`);
  }
  const filter: BacktestFilter = {};
  for (const name of ['since', 'until'] as const) {
    const value = values[name];
    if (value === undefined) continue;
    if (!isIsoDate(value)) throw new UsageError(`--${name} : date invalide « ${value} » (attendu AAAA-MM-JJ, une date du calendrier)`);
    filter[name] = value;
  }
  if (filter.since && filter.until && filter.since > filter.until) {
    throw new UsageError(`--since (${filter.since}) est postérieure à --until (${filter.until})`);
  }
  if (values.motif !== undefined) {
    if (values.motif !== 'paid' && !isMotifCode(values.motif)) {
      throw new UsageError(`--motif : motif inconnu « ${values.motif} » (attendu paid ou l'un de : ${MOTIF_CODES.join(', ')})`);
    }
    filter.motif = values.motif;
  }
  if (values.limit !== undefined) {
    if (!/^\d+$/.test(values.limit) || !Number.isSafeInteger(Number(values.limit)) || Number(values.limit) < 1) {
      throw new UsageError(`--limit : nombre invalide « ${values.limit} » (attendu un entier ≥ 1)`);
    }
    filter.limit = Number(values.limit);
  }
  return { filter, json: Boolean(values.json), currentData: Boolean(values['current-data']), help: Boolean(values.help) };
}

/** The report, with what the command adds: the filter, the time end to end. */
export interface BacktestOutput extends BacktestReport {
  filter: BacktestFilter;
  currentData: boolean;
  elapsedMs: number;
  /** Claims per second of rules time, and end to end (reading included). */
  throughput: { rules: number | null; endToEnd: number | null };
}

const label = (outcome: Outcome) =>
  (outcome === 'paid' ? 'Saisie aboutie (payée)' : isMotifCode(outcome) ? motifLabel(outcome) : outcome);

const rate = (count: number, ms: number) => (ms > 0 ? count / (ms / 1000) : null);
const int = (n: number) => n.toLocaleString('fr-FR');

/** A text table: columns padded to their widest cell, numbers right-aligned. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = header.map((_, i) => i > 0 && rows.every((r) => /^[\d\s  .,—%·-]*$/.test(r[i]!)));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
}

/** The report as text, in French like the console. */
export function formatBacktest(output: BacktestOutput): string {
  const lines: string[] = [];
  const filter = [
    output.filter.since && `depuis le ${output.filter.since}`, output.filter.until && `jusqu'au ${output.filter.until}`,
    output.filter.motif && `motif ${output.filter.motif}`, output.filter.limit && `${int(output.filter.limit)} au plus`,
  ].filter(Boolean).join(', ');
  lines.push(`Back-test des règles ${output.rulesVersion} sur ${int(output.total)} réclamation(s) décidée(s)${filter ? ` (${filter})` : ''}`);
  lines.push(`  restent : ${int(output.stayed)}   bougent : ${int(output.moved)}   même motif, autre destinataire : ${int(output.rerouted)}`
    + (output.failed > 0 ? `   analyse impossible (Manque consigne) : ${int(output.failed)}` : ''));
  const versions = Object.entries(output.recordedVersions).sort((a, b) => b[1] - a[1]);
  if (versions.length > 0) lines.push(`  décidées par : ${versions.map(([v, n]) => `${v === 'unknown' ? 'version inconnue' : v} (${int(n)})`).join(', ')}`);
  const { facts } = output;
  lines.push(`  faits de référence : ${output.currentData ? 'ceux d\'aujourd\'hui (--current-data)' : 'ceux du jour de la décision'} — `
    + `${int(facts.recordedClaims)} réclamation(s) sur faits enregistrés, ${int(facts.currentClaims)} sur les données actuelles ; `
    + `appels : ${int(facts.calls.recorded)} enregistrés, ${int(facts.calls.current)} aux données actuelles, ${int(facts.calls.missing)} sans réponse`);
  const rules = output.throughput.rules;
  const endToEnd = output.throughput.endToEnd;
  lines.push(`  durée : règles ${(output.rulesMs / 1000).toFixed(2)} s${rules ? ` (${int(Math.round(rules))} réclamations/s)` : ''}, `
    + `totale ${(output.elapsedMs / 1000).toFixed(2)} s${endToEnd ? ` (${int(Math.round(endToEnd))} réclamations/s)` : ''}`);
  if (output.total === 0) return [...lines, '', 'Aucune réclamation décidée ne correspond.'].join('\n');

  const motifs = Object.entries(output.perMotif).sort((a, b) => b[1].total - a[1].total);
  lines.push('', 'Par motif décidé :');
  lines.push(...table(['Motif', 'Code', 'Total', 'Restent', 'Bougent', 'Vers'], motifs.map(([from, m]) => [
    label(from), from, int(m.total), int(m.stayed), int(m.moved),
    Object.entries(output.matrix[from] ?? {}).filter(([to]) => to !== from).sort((a, b) => b[1] - a[1]).map(([to, n]) => `${to} ×${int(n)}`).join(', '),
  ])).map((l) => `  ${l}`));

  if (output.moved > 0) {
    // The rows where something moved (the others are all on the diagonal: counted above), with what stayed.
    const froms = motifs.filter(([, m]) => m.moved > 0).map(([from]) => from);
    const tos = [...new Set(froms.flatMap((from) => Object.keys(output.matrix[from]!)))].sort();
    lines.push('', 'Matrice des déplacements (ligne : motif décidé → colonne : motif des règles actuelles) :');
    lines.push(...table(['De \\ vers', ...tos], froms.map((from) => [from, ...tos.map((to) => (output.matrix[from]![to] ? int(output.matrix[from]![to]!) : '·'))])).map((l) => `  ${l}`));

    lines.push('', 'Première étape dont le constat a changé :');
    lines.push(`  ${Object.entries(output.byStep).sort((a, b) => b[1] - a[1]).map(([step, n]) => `${step} ×${int(n)}`).join(', ')}`);

    const listed = output.movedClaims.slice(0, LISTED_MOVED);
    lines.push('', `Réclamations qui bougent${output.moved > listed.length ? ` (les ${listed.length} premières sur ${int(output.moved)} ; --json en garde ${KEEP_MOVED})` : ''} :`);
    for (const claim of listed) {
      const step = claim.changed
        ? `${claim.changed.step} : ${claim.changed.before?.result ?? '—'} → ${claim.changed.after?.result ?? '—'}`
        : 'même trace';
      lines.push(`  ${claim.archiveKey}  ${claim.from} → ${claim.to}  (${step})`);
      const after = claim.changed?.after?.facts ?? [];
      if (after.length > 0) lines.push(`      constat actuel : ${after.join(' ; ')}`);
    }
  }
  return lines.join('\n');
}

/** Counts the claims as they stream by, and says so on stderr every PROGRESS_EVERY (on a terminal only). */
async function* withProgress(claims: AsyncIterable<DecidedClaim>, expected: number, show: boolean): AsyncGenerator<DecidedClaim> {
  let n = 0;
  for await (const claim of claims) {
    yield claim;
    if (show && ++n % PROGRESS_EVERY === 0) process.stderr.write(`backtest : ${int(n)} / ${int(expected)} réclamations\n`);
  }
}

async function main(): Promise<number> {
  let args: BacktestArguments;
  try {
    args = parseBacktestArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`backtest : ${error.message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log([
      USAGE,
      '  --since, --until  réclamations enregistrées (analysées) entre ces jours, inclus (jours UTC)',
      '  --motif           celles que les règles avaient décidées avec ce motif (paid : payées)',
      '  --limit           au plus N réclamations, par critère d\'archivage',
      '  --current-data    les données de référence d\'aujourd\'hui pour tous les appels, au lieu des faits enregistrés',
      '  --json            le rapport en un seul document JSON sur stdout (npm run -s backtest -- --json)',
    ].join('\n'));
    return 0;
  }
  const config = loadConfig(process.env);
  let database;
  try {
    database = await openDatabase(config.databaseUrl, config.database);
    await database.execute('select 1');
  } catch (error) {
    console.error(`backtest : base de données injoignable : ${safeMessage(error)}`);
    await database?.close().catch(() => undefined);
    return 2;
  }
  try {
    const started = performance.now();
    const version = rulesVersion();
    const showProgress = Boolean(process.stderr.isTTY);
    const expected = showProgress ? Math.min(await countDecidedClaims(database.db, args.filter), args.filter.limit ?? Infinity) : 0;
    const report = await backtest(
      withProgress(decidedClaims(database.db, args.filter), expected, showProgress),
      version,
      { current: createPostgresPorts(database.db), currentData: args.currentData, keepMoved: KEEP_MOVED, ownedRecordings: true },
    );
    const elapsedMs = performance.now() - started;
    const output: BacktestOutput = {
      ...report, filter: args.filter, currentData: args.currentData, elapsedMs,
      throughput: { rules: rate(report.total, report.rulesMs), endToEnd: rate(report.total, elapsedMs) },
    };
    process.stdout.write(`${args.json ? JSON.stringify(output) : formatBacktest(output)}\n`);
    return 0;
  } catch (error) {
    // The database lost mid-way is « injoignable » too (exit 2); anything else is a bug to look at (exit 1).
    const unavailable = unavailableDependency(error);
    console.error(`backtest : ${unavailable ? 'base de données injoignable : ' : ''}${safeMessage(error)}`);
    return unavailable ? 2 : 1;
  } finally {
    await database.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then((code) => { process.exitCode = code; }, (error) => {
    console.error(`backtest : ${safeMessage(error)}`);
    process.exitCode = 1;
  });
}
