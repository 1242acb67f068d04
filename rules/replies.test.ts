import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MOTIFS } from './motifs.js';
import { replyText } from './replies.js';
import { CONTENT_ERRORS, MISSING_DETAILS } from './sublists.js';

/** The MO as committed (a copy of ../shared/seeds/mode-operatoire-rejets-tp-simple.txt): checked in every clone. */
const MO_PATH = new URL('../test/fixtures/mode-operatoire-rejets-tp-simple.txt', import.meta.url);

describe('reply texts', () => {
  it('every motif has a reply, every content error its own sentence', () => {
    for (const m of MOTIFS) expect(replyText(m.code, { motif: m.code, detail: ['part_rc'], date: '2016-01-01', comment: '1' }).length).toBeGreaterThan(40);
    const sentences = new Set(CONTENT_ERRORS.map((e) => replyText('erreur_contenu_facture', { motif: 'erreur_contenu_facture', error: e.code })));
    expect(sentences.size).toBe(CONTENT_ERRORS.length);
  });

  it('dates are dd/mm/yyyy, numbers filled in', () => {
    expect(replyText('facture_deja_payee', { motif: 'facture_deja_payee', date: '2016-01-20' })).toMatch(/en date du : 20\/01\/2016$/);
    const acte = replyText('acte_deja_paye', { motif: 'acte_deja_paye', date: '2016-01-01', comment: '123' });
    expect(acte).toContain("a fait l'objet d'un règlement en date du 01/01/2016 sur la facture n° 123.");
  });

  it('Manque détail lists the missing items with the MO labels', () => {
    const t = replyText('manque_detail', { motif: 'manque_detail', detail: ['beneficiaire', 'montant_total'] });
    expect(t).toContain('- Bénéficiaire des soins : nom, prénom, date de naissance et numéro de sécurité sociale - Montant total de la dépense');
  });

  it('the MO sentences are verbatim', () => {
    const mo = readFileSync(MO_PATH, 'utf8').replace(/\s+/g, ' ');
    for (const code of ['ro_100', 'beneficiaire_inconnu', 'beneficiaire_non_couvert', 'demande_duplicata', 'destinataire_paiement_incertain', 'facture_assure', 'facture_plus_2_ans', 'parcours_soins'] as const) {
      expect(mo).toContain(replyText(code, { motif: code }));
    }
    expect(mo).toContain(replyText('facture_deja_payee', { motif: 'facture_deja_payee' }));
    for (const d of MISSING_DETAILS) expect(mo).toContain(d.label);
    for (const e of CONTENT_ERRORS) expect(mo).toContain(e.label);
    for (const m of MOTIFS) expect(mo).toContain(m.label);
  });
});
