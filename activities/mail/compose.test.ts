import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BORDEREAU_COLUMNS, composeEscalationEmail, composePractitionerEmails, escapeHtml, formatParisDateTime,
  PS_MAIL_BODY, PS_MAIL_INTRO, type BordereauRow,
} from './compose.js';
import { ALMERYS_BCC, DEFAULT_MAIL_FROM } from './config.js';

/** The MO as committed (a copy of ../shared/seeds/mode-operatoire-rejets-tp-simple.txt): checked in every clone. */
const MO = readFileSync(new URL('../../test/fixtures/mode-operatoire-rejets-tp-simple.txt', import.meta.url), 'utf8');

const PS = '750044778';
const REPLY =
  "Nous sommes au regret de vous informer que nous ne pouvons donner une suite favorable à votre demande de remboursement. En effet, tout ou partie des actes figurant sur la facture a fait l'objet d'un règlement en date du 01/01/2016 sur la facture n° 123.";

function row(i: number, overrides: Partial<BordereauRow> = {}): BordereauRow {
  return {
    archiveKey: String(2870044700 + i),
    practitionerNumber: PS,
    nir: `26704993240${String(i).padStart(2, '0')}`,
    invoiceNumber: String(531300 + i),
    reply: REPLY,
    ...overrides,
  };
}

function compose(rows: BordereauRow[], batchId = 'B-2016-01') {
  return composePractitionerEmails({ practitionerNumber: PS, to: 'cabinet@lefevre.example.org', rows, batchId, from: DEFAULT_MAIL_FROM });
}

/** The HTML's text: tags dropped, entities decoded, whitespace collapsed. */
function visibleText(html: string): string {
  return html
    .replace(/<head>[\s\S]*<\/head>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The MO's mail text between « Voici la trame du mail » and « Ne pas oublier de coller le tableau ». */
function moMailText(mo: string): string {
  const start = mo.indexOf('\n', mo.indexOf('Voici la trame du mail'));
  const end = mo.indexOf('Ne pas oublier de coller le tableau de réponse au PS');
  return mo.slice(start, end).trim();
}

describe('composePractitionerEmails', () => {
  it('uses the MO subject with the N° PS and puts service.azur@almerys.com in Bcc, never in Cc', () => {
    const [mail] = compose([row(1)]);
    expect(mail.subject).toBe(`Traitement de vos réclamations PS ${PS}`);
    expect(mail.bcc).toEqual([ALMERYS_BCC]);
    expect(mail.to).toEqual(['cabinet@lefevre.example.org']);
    expect(mail).not.toHaveProperty('cc');
    expect(mail.to).not.toContain(ALMERYS_BCC);
    expect(mail.kind).toBe('ps_reply');
    expect(mail.from).toBe(DEFAULT_MAIL_FROM);
    expect(mail.batchId).toBe('B-2016-01');
    expect(mail.practitionerNumber).toBe(PS);
    expect(mail.archiveKeys).toEqual(['2870044701']);
    expect(mail.id).toBe(`ps-reply:B-2016-01:${PS}:1`);
  });

  it('starts with the intro, then the MO text, then the bordereau at the bottom (text and HTML)', () => {
    const [mail] = compose([row(1)]);
    expect(mail.text.startsWith(`${PS_MAIL_INTRO}\n\nSi la réponse à votre réclamation`)).toBe(true);
    const signature = mail.text.indexOf('Service Prestations Tiers-Payant\n\nBORDEREAU RECAPITULATIF');
    expect(signature).toBeGreaterThan(0);
    expect(mail.text).toContain('ALMERYS Service Prestations 46 rue du Ressort 63967 CLERMONT-FERRAND CEDEX 9');
    expect(mail.text).toContain(
      "Par ailleurs, nous vous rappelons que vous pouvez consulter :\n\n- l'ouverture des droits de vos patients\n- le détail des remboursements",
    );

    const visible = visibleText(mail.html);
    expect(visible.startsWith(PS_MAIL_INTRO)).toBe(true);
    expect(visible.indexOf('Service Prestations Tiers-Payant')).toBeLessThan(visible.indexOf('BORDEREAU RECAPITULATIF'));
    expect(mail.html).toMatch(/<ul>\n<li>l&#39;ouverture des droits de vos patients<\/li>\n<li>le détail des remboursements/);
    expect(mail.html).toContain('<table');
    expect(mail.html.indexOf('<table')).toBeGreaterThan(mail.html.indexOf('Service Prestations Tiers-Payant</p>'));
  });

  it('lays the bordereau out with the MO columns, one row per invoice', () => {
    const rows = [row(1), row(2, { invoiceNumber: '20160115' }), row(3, { invoiceNumber: '0' })];
    const [mail] = compose(rows);
    const headers = [...mail.html.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(headers).toEqual(['BORDEREAU RECAPITULATIF', ...BORDEREAU_COLUMNS.map(escapeHtml)]);
    expect(BORDEREAU_COLUMNS).toEqual([
      "CRITERE D'ARCHIVAGE (réservé à Almerys)", 'N° PS AM-FINESS', 'NUMERO DE SECURITE SOCIALE',
      'NUMERO DE LA FACTURE', 'REPONSE A VOTRE RECLAMATION',
    ]);
    const bodyRows = [...mail.html.matchAll(/<tr>(<td[\s\S]*?)<\/tr>/g)].map((m) =>
      [...m[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]));
    expect(bodyRows).toEqual(rows.map((r) => [r.archiveKey, r.practitionerNumber, r.nir, r.invoiceNumber, escapeHtml(r.reply)]));

    const table = mail.text.slice(mail.text.indexOf('BORDEREAU RECAPITULATIF')).trimEnd().split('\n');
    expect(table[0]).toBe('BORDEREAU RECAPITULATIF');
    expect(table[2]).toBe(BORDEREAU_COLUMNS.join(' | '));
    expect(table.slice(3)).toEqual(rows.map((r) => `${r.archiveKey} | ${PS} | ${r.nir} | ${r.invoiceNumber} | ${r.reply}`));
  });

  it('sends at most 10 rows per e-mail, in the given order, numbered from 1', () => {
    const rows = Array.from({ length: 23 }, (_, i) => row(i + 1));
    const mails = compose(rows);
    expect(mails.map((m) => m.id)).toEqual([1, 2, 3].map((n) => `ps-reply:B-2016-01:${PS}:${n}`));
    expect(mails.map((m) => m.archiveKeys!.length)).toEqual([10, 10, 3]);
    expect(mails.flatMap((m) => m.archiveKeys)).toEqual(rows.map((r) => r.archiveKey));
    for (const mail of mails) {
      expect(mail.subject).toBe(`Traitement de vos réclamations PS ${PS}`);
      expect(mail.bcc).toEqual([ALMERYS_BCC]);
      expect(mail.html.match(/<tr><td/g)).toHaveLength(mail.archiveKeys!.length);
      for (const key of mail.archiveKeys!) expect(mail.text).toContain(`${key} | ${PS}`);
    }
    expect(mails[1].text).not.toContain(rows[0].nir);
    expect(compose(rows.slice(0, 10))).toHaveLength(1);
    expect(compose(rows.slice(0, 11))).toHaveLength(2);
    expect(compose([])).toEqual([]);
  });

  it('escapes what the rows hold in the HTML', () => {
    const [mail] = compose([row(1, { invoiceNumber: '<b>12</b>&"x"', reply: "Réponse <script>alert('x')</script>" })]);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>12</b>');
    expect(mail.html).toContain('&lt;b&gt;12&lt;/b&gt;&amp;&quot;x&quot;');
    expect(mail.html).toContain('Réponse &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;');
    expect(mail.text).toContain("Réponse <script>alert('x')</script>");
  });

  it('is deterministic (the id is an idempotency key: a retry must compose the same e-mail)', () => {
    const rows = Array.from({ length: 12 }, (_, i) => row(i + 1));
    expect(compose(rows)).toEqual(compose(rows));
  });

  it('refuses a row of another PS (it would show that PS patients NIRs)', () => {
    expect(() => compose([row(1), row(2, { practitionerNumber: '750099999' })])).toThrow(/belongs to PS 750099999/);
  });

  it('refuses an e-mail without recipient', () => {
    expect(() => composePractitionerEmails({ practitionerNumber: PS, to: [' '], rows: [row(1)], batchId: 'B', from: DEFAULT_MAIL_FROM }))
      .toThrow(/recipient/);
  });

  it('carries the MO texts: the known sentences', () => {
    const [mail] = compose([row(1)]);
    for (const sentence of [
      "Vous trouverez ci-joint le bordereau récapitulatif de l'analyse apportée par nos services.",
      "Si la réponse à votre réclamation apportée par nos services préconise un retour de votre part, merci de le faire par mail à l'adresse service.azur@almerys.com, ou par courrier à l'adresse suivante :",
      'ALMERYS Service Prestations 46 rue du Ressort 63967 CLERMONT-FERRAND CEDEX 9',
      "Merci d'apporter les modifications DIRECTEMENT sur votre facture.",
      'Nous restons à votre disposition au N° INDIGO 0 825 826 214 réservé aux professionnels de santé.',
      "Dans l'attente de vous lire, veuillez agréer, Madame, Monsieur, l'assurance de nos sincères salutations",
      'Service Prestations Tiers-Payant',
    ]) {
      expect(mail.text).toContain(sentence);
      expect(visibleText(mail.html)).toContain(sentence);
    }
  });

  describe('against the MO file (test/fixtures/mode-operatoire-rejets-tp-simple.txt)', () => {
    it('quotes the mail text of MO §4 verbatim, paragraphs and list included', () => {
      const expected = moMailText(MO);
      expect(expected.startsWith('Si la réponse à votre réclamation')).toBe(true);
      expect(expected.endsWith('Service Prestations Tiers-Payant')).toBe(true);
      const [mail] = compose([row(1)]);
      expect(mail.text).toContain(expected);
      // The same paragraphs and list items in the HTML.
      const htmlBlocks = [...mail.html.matchAll(/<(p|li)>([\s\S]*?)<\/\1>/g)].map((m) => visibleText(m[2]));
      const moLines = expected.split('\n').filter((l) => l.trim() !== '').map((l) => l.replace(/^- /, ''));
      expect(htmlBlocks.slice(1, 1 + moLines.length)).toEqual(moLines);
    });

    it('takes the intro sentence from the MO', () => {
      expect(MO).toContain(`\n${PS_MAIL_INTRO}\n`);
    });

    it('takes the bordereau title and column heads from the MO', () => {
      expect(MO).toContain('BORDEREAU RECAPITULATIF');
      expect(MO).toContain(BORDEREAU_COLUMNS.join('\t'));
    });

    it('uses the first version of the text (the one with the full postal address)', () => {
      const blocks = PS_MAIL_BODY.map((b) => ('paragraph' in b ? b.paragraph : b.list.join('\n')));
      expect(blocks).toContain('ALMERYS Service Prestations 46 rue du Ressort 63967 CLERMONT-FERRAND CEDEX 9');
      expect(blocks.join('\n')).not.toContain('№'); // the second version's sign
    });
  });
});

describe('composeEscalationEmail', () => {
  const task = {
    id: '2870044786-1',
    archiveKey: '2870044786',
    motif: 'a_controler',
    motifLabel: 'A contrôler',
    createdAt: '2024-03-11T08:30:00.000Z',
    dueAt: '2024-03-13T08:30:00.000Z',
    practitionerNumber: PS,
  };

  it('says which task is overdue since when, in French, with a link to the console', () => {
    const mail = composeEscalationEmail({
      task, to: 'gestionnaires@almerys.example', from: DEFAULT_MAIL_FROM, consoleUrl: 'https://tp.almerys.example/',
    });
    expect(mail.id).toBe('escalation:2870044786-1');
    expect(mail.kind).toBe('escalation');
    expect(mail.to).toEqual(['gestionnaires@almerys.example']);
    expect(mail.bcc).toEqual([]);
    expect(mail.archiveKeys).toEqual(['2870044786']);
    expect(mail.practitionerNumber).toBe(PS);
    expect(mail.subject).toBe("Tâche en retard : A contrôler (critère d'archivage 2870044786)");
    expect(mail.text).toContain('La tâche 2870044786-1 n\'a pas été traitée dans le délai : elle est en retard depuis le 13/03/2024 à 09:30.');
    expect(mail.text).toContain('Ouverte le : 11/03/2024 à 09:30');
    expect(mail.text).toContain('Motif de traitement : A contrôler');
    expect(mail.text).toContain('Pour la traiter : https://tp.almerys.example/console/tasks/2870044786-1');
    expect(mail.html).toContain('<a href="https://tp.almerys.example/console/tasks/2870044786-1">');
    expect(visibleText(mail.html)).toContain('en retard depuis le 13/03/2024 à 09:30');
  });

  it('has no link without a console URL', () => {
    const mail = composeEscalationEmail({ task, to: ['a@x.example', 'b@x.example'], from: DEFAULT_MAIL_FROM });
    expect(mail.to).toEqual(['a@x.example', 'b@x.example']);
    expect(mail.text).not.toContain('http');
    expect(mail.html).not.toContain('<a ');
  });

  it('never shows a NIR, even when the task object carries one', () => {
    const nir = '2670499324070';
    const withBeneficiary = { ...task, nir, decision: { invoice: { beneficiary: { nir, lastName: 'Lefèvre' } } } };
    const mail = composeEscalationEmail({ task: withBeneficiary, to: 'g@x.example', from: DEFAULT_MAIL_FROM, consoleUrl: 'http://c' });
    for (const part of [mail.subject, mail.text, mail.html]) {
      expect(part).not.toContain(nir);
      expect(part).not.toContain('Lefèvre');
      expect(part).not.toMatch(/\b[12]\d{4}(\d{2}|2A|2B)\d{6}\b/);
    }
  });

  it('escapes the task fields in the HTML', () => {
    const mail = composeEscalationEmail({ task: { ...task, motifLabel: 'Part RC demandée <> Part RC calculée' }, to: 'g@x.example', from: DEFAULT_MAIL_FROM });
    expect(mail.html).toContain('Part RC demandée &lt;&gt; Part RC calculée');
    expect(mail.text).toContain('Part RC demandée <> Part RC calculée');
  });

  it('formats dates in Paris time, summer and winter', () => {
    expect(formatParisDateTime('2024-07-01T22:05:00Z')).toBe('02/07/2024 à 00:05');
    expect(formatParisDateTime(new Date('2024-01-15T12:00:00Z'))).toBe('15/01/2024 à 13:00');
  });
});
