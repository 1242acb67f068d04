import { describe, expect, it } from 'vitest';
import { analyzeWith } from '../testing/cases.js';

describe('G0 checkDocument', () => {
  it('an unreadable document → Document non exploitable, to a manager', async () => {
    const r = await analyzeWith((c) => { c.invoice.flags!.readable = false; });
    expect(r).toMatchObject({ motif: 'document_non_exploitable', route: 'manager', humanTask: true, waitsForDecision: false });
    expect(r.trace.map((t) => t.step)).toEqual(['G0', 'Routing']);
  });

  it.each(['decompte_ro', 'bordereau_virement', 'rsi'] as const)('a %s instead of an invoice → Document non conforme, to the PS', async (kind) => {
    const r = await analyzeWith((c) => { c.invoice.kind = kind; });
    expect(r).toMatchObject({ motif: 'erreur_contenu_facture', error: 'document_non_conforme', route: 'practitioner', email: 'contact@ide-parc.example.org' });
    expect(r.reply).toContain('le document fourni ne permet pas le règlement par Almerys');
  });

  it('unreadable wins over the kind', async () => {
    const r = await analyzeWith((c) => { c.invoice.flags!.readable = false; c.invoice.kind = 'rsi'; });
    expect(r.motif).toBe('document_non_exploitable');
  });

  it('a document that does not match the GTO task → Incohérence document tâche with what differs', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.flags!.matchesTask = false;
      c.invoice.taskMismatch = 'N° PS de la tâche : 750044778';
    });
    expect(r).toMatchObject({ motif: 'incoherence_document_tache', comment: 'N° PS de la tâche : 750044778', route: 'manager' });
  });

  it('a mismatch without details still says what is wrong', async () => {
    const r = await analyzeWith((c) => { c.invoice.flags!.matchesTask = false; });
    expect(r.comment).toBe('Le document ne correspond pas à la tâche GTO');
  });

  it('no kind and no flags mean an invoice with favourable flags', async () => {
    const r = await analyzeWith((c) => { delete c.invoice.kind; delete c.invoice.flags; });
    expect(r.outcome).toBe('paid');
  });
});
