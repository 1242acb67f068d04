import { describe, expect, it } from 'vitest';
import { choosePractitionerEmail, invoiceNumberCell, routeFinding } from './routing.js';
import { analyzeWith } from './testing/cases.js';

const centre = (returnEmails: string[], headerEmail: string | null = 'accueil@centre.example.org') =>
  ({ number: '690012345', name: 'Centre', headerEmail, returnEmails });

describe('AGAPS e-mail choice', () => {
  it('a practitioner → its header address, even with « Retour PS » lines', () => {
    expect(choosePractitionerEmail({ number: '691234567', headerEmail: ' ps@example.org ', returnEmails: ['a@x.org', 'b@x.org'] }).email).toBe('ps@example.org');
  });
  it('a centre with two « Retour PS » lines → the second', () => {
    expect(choosePractitionerEmail(centre(['a@x.org', 'b@x.org', 'c@x.org'])).email).toBe('b@x.org');
  });
  it('a centre with one line → that one; none → the header', () => {
    expect(choosePractitionerEmail(centre(['a@x.org'])).email).toBe('a@x.org');
    expect(choosePractitionerEmail(centre([])).email).toBe('accueil@centre.example.org');
    expect(choosePractitionerEmail(centre([], null)).email).toBeNull();
  });
  it('no practitioner → no address', () => {
    expect(choosePractitionerEmail(null).email).toBeNull();
  });
});

describe('the Trame invoice number', () => {
  it('the number, else the reversed end-of-care date, else 0', () => {
    expect(invoiceNumberCell({ archiveKey: '1', invoiceNumber: ' 531341 ' })).toBe('531341');
    expect(invoiceNumberCell({ archiveKey: '1', invoiceNumber: null, acts: [{ date: '2016-01-06' }, { date: '2016-01-05' }] })).toBe('20160106');
    expect(invoiceNumberCell({ archiveKey: '1', acts: [] })).toBe('0');
  });
});

describe('routing', () => {
  it('a PS-routed motif goes to a manager when the PS has no e-mail', async () => {
    const r = await analyzeWith((c) => { c.invoice.flags!.ro100 = true; c.reference.practitioners![0].headerEmail = null; });
    expect(r).toMatchObject({ motif: 'ro_100', route: 'manager', email: null, humanTask: true, waitsForDecision: false });
    expect(r.trace.at(-1)).toMatchObject({ step: 'Routing', result: 'manager' });
  });

  it('a centre de soins is answered on its second « Retour PS » address', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.flags!.addressedToInsured = true;
      c.invoice.practitionerNumber = '690012345';
    });
    expect(r).toMatchObject({ motif: 'facture_assure', route: 'practitioner', email: 'retour-ps@bellecour.example.org' });
  });

  it('manager motifs never carry an e-mail', () => {
    const d = routeFinding({ archiveKey: '1', invoiceNumber: '9' }, { motif: 'doublon_ps' }, false, { number: '691234567', headerEmail: 'x@y.org' });
    expect(d).toMatchObject({ route: 'manager', email: null, humanTask: true });
  });

  it('Facture déjà payée without DATE and Manque détail without detail go to a manager', () => {
    const ps = { number: '691234567', headerEmail: 'x@y.org' };
    expect(routeFinding({ archiveKey: '1', invoiceNumber: '9' }, { motif: 'facture_deja_payee', date: null }, true, ps).route).toBe('manager');
    expect(routeFinding({ archiveKey: '1', invoiceNumber: '9' }, { motif: 'manque_detail', detail: [] }, false, ps).route).toBe('manager');
    expect(routeFinding({ archiveKey: '1', invoiceNumber: '9' }, { motif: 'manque_detail', detail: ['part_rc'] }, false, ps).route).toBe('practitioner');
  });
});
