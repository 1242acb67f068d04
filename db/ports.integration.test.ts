import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMemoryPorts } from '../rules/memory-ports.js';
import type { Ports } from '../rules/ports.js';
import type { ReferenceData } from '../rules/types.js';
import { createScratchDatabase, type ScratchDatabase } from '../test/databases.js';
import { openDatabase } from './client.js';
import { createPostgresPorts } from './ports.js';
import { ReferenceValidationError, seedReference, seedReferences, validateReference } from './seed.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const examples: Record<string, ReferenceData> = JSON.parse(
  readFileSync(join(REPO, 'test/fixtures/spec-example-references.json'), 'utf8'),
);

const MARC = '1850369123045'; // the spec examples' beneficiary
const ELOISE = '2670499324070';
const ELOISE_TWIN = '2670499324071';
const CORSICAN = '185032A123045';

/** What the spec examples lack: homonyms with accents, AGICA records, payments, a Corsican NIR. */
const extra = {
  practitioners: [
    {
      number: '750044778', name: 'Cabinet Lefèvre', headerEmail: 'cabinet@lefevre.example.org', fax: '0473000000',
      address: { streetNumber: '12', streetType: 'rue', streetName: 'du Port', postalCode: '63000', city: 'Clermont-Ferrand' },
    },
  ],
  beneficiaries: [
    {
      nir: ELOISE, lastName: 'Lefèvre-Dupont', firstName: 'Éloïse', birthDate: '1967-04-01', birthRank: 1,
      insurer: 'Intériale',
      cards: [
        { insurer: 'Intériale', contract: 'I-1', start: '2015-01-01', end: '2015-12-31', restitutedOn: '2015-06-30',
          restitutionReason: 'NPAI', columns: { TRA: 100 } },
        { insurer: 'Intériale', contract: 'I-2', start: '2016-01-01', end: null, columns: { 'PH7/L': 65, MS: 100 } },
      ],
      contractRights: [{ start: '2015-01-01', end: '2015-12-31' }, { start: '2016-01-01' }],
    },
    // A twin: same names once accents and case are ignored, another birth rank.
    { nir: ELOISE_TWIN, lastName: 'LEFEVRE-DUPONT', firstName: 'eloise', birthDate: '1967-04-01', birthRank: 2 },
    { nir: CORSICAN, lastName: 'Santoni', firstName: 'Ange', birthDate: '1985-03-02' },
  ],
  agica: [
    { invoiceNumber: 'f-2207', practitionerNumber: '691234567', nir: MARC, state: 'liquidee', date: '2016-01-20' },
    { invoiceNumber: 'F-2207', practitionerNumber: '690012345', nir: MARC, state: 'rejetee', date: '2016-01-15',
      rejectReason: 'Doublon total facture', paidInvoiceNumber: 'F-2100' },
    { invoiceNumber: 'F-2207', nir: ELOISE, state: 'liquidee_nul', date: '2016-01-21' },
  ],
  payments: [
    { invoiceNumber: 'F-2100', practitionerNumber: '691234567', nir: MARC, insurer: 'MGEN', paidOn: '2016-01-15',
      acts: [{ code: 'AMI', date: '2016-01-05' }, { code: 'AIS', date: '2016-01-07' }] },
    { practitionerNumber: '750044778', nir: MARC, insurer: 'AON', paidOn: '2016-01-16',
      acts: [{ code: 'AMK', date: '2016-01-05' }] },
    { invoiceNumber: 'X-1', practitionerNumber: '750044778', nir: ELOISE, insurer: 'Intériale', paidOn: '2016-02-01',
      acts: [{ code: 'AMI', date: '2016-01-05' }] },
  ],
  catalogue: [{ code: 'PH7/L', unitPrice: 0.125 }],
  insurers: [{ name: 'Intériale', controlThreshold: 1234.56 }, { name: 'AON' }],
};

const allReferences = () => [...Object.values(examples), extra];

let database: ScratchDatabase;
let ports: Ports;

const TABLES = [
  'practitioners', 'beneficiaries', 'cards', 'contract_rights', 'agica_records', 'payments', 'payment_acts',
  'catalogue', 'insurers',
];

async function tableContents(): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    out[table] = await database.execute(`select * from ${table} order by 1, 2`);
  }
  return out;
}

beforeAll(async () => {
  // A private database: these tests rewrite the examples' beneficiary, which other files may rely on.
  database = await createScratchDatabase(inject('databaseUrl'), 'ports');
  ports = createPostgresPorts(database.db);
  await seedReferences(database.db, allReferences());
});

afterAll(async () => {
  await database?.drop();
});

describe('AGAPS', () => {
  it('finds a centre with its « Retour PS » addresses in order', async () => {
    expect(await ports.agaps.findPractitioner('690012345')).toEqual({
      number: '690012345',
      name: 'Centre de sante Bellecour',
      headerEmail: 'accueil@bellecour.example.org',
      returnEmails: ['compta@bellecour.example.org', 'retour-ps@bellecour.example.org'],
      fax: null,
    });
  });

  it('finds a practitioner with a fax and no return addresses; unknown numbers give null', async () => {
    expect(await ports.agaps.findPractitioner(' 750044778 ')).toMatchObject({ fax: '0473000000', returnEmails: [] });
    expect(await ports.agaps.findPractitioner('999999999')).toBeNull();
  });

  it('keeps the postal address for the Trame', async () => {
    const [row] = await database.execute(`select street_name, postal_code, city, street_number_complement
      from practitioners where number = '750044778'`);
    expect(row).toEqual({ street_name: 'du Port', postal_code: '63000', city: 'Clermont-Ferrand', street_number_complement: null });
  });
});

describe('PROTIPS', () => {
  it('finds a beneficiary by NIR with cards and contractual rights, dates as ISO strings', async () => {
    expect(await ports.protips.findBeneficiaryByNir(MARC)).toEqual({
      nir: MARC,
      lastName: 'LEFEVRE',
      firstName: 'Marc',
      birthDate: '1985-03-02',
      birthRank: 1,
      insurer: 'MGEN',
      cards: [{
        insurer: 'MGEN', contract: 'M-778', start: '2016-01-01', end: '2016-12-31', restitutedOn: null,
        restitutionReason: null, columns: { PHAR: 100, BIO: 100, RAD: 100, AUX: 100, MG: 100, MS: 100 },
      }],
      // The last example seeded (paye) replaced droits-contractuels-clos' 2015 period.
      contractRights: [{ start: '2016-01-01', end: '2016-12-31' }],
    });
  });

  it('keeps the cards in order, open-ended periods as null', async () => {
    const eloise = await ports.protips.findBeneficiaryByNir(ELOISE);
    expect(eloise?.cards?.map((card) => [card.contract, card.end, card.restitutionReason, card.columns])).toEqual([
      ['I-1', '2015-12-31', 'NPAI', { TRA: 100 }],
      ['I-2', null, null, { 'PH7/L': 65, MS: 100 }],
    ]);
    expect(eloise?.cards?.[0].restitutedOn).toBe('2015-06-30');
    expect(eloise?.contractRights).toEqual([{ start: '2015-01-01', end: '2015-12-31' }, { start: '2016-01-01', end: null }]);
  });

  it('finds a Corsican NIR whatever the case of 2A; unknown NIRs give null', async () => {
    expect((await ports.protips.findBeneficiaryByNir('185032a123045'))?.lastName).toBe('Santoni');
    expect(await ports.protips.findBeneficiaryByNir('1850369123046')).toBeNull();
  });

  it('finds beneficiaries by name, ignoring case, accents and spacing', async () => {
    const found = await ports.protips.findBeneficiariesByName('  lefevre-dupont', 'ELOISE ');
    expect(found.map((b) => [b.nir, b.birthRank])).toEqual([[ELOISE, 1], [ELOISE_TWIN, 2]]);
    expect(found[0]).toMatchObject({ lastName: 'Lefèvre-Dupont', firstName: 'Éloïse', insurer: 'Intériale' });
    expect(found[1]).toMatchObject({ cards: [], contractRights: [], insurer: null });

    expect((await ports.protips.findBeneficiariesByName('Lefèvre', 'marc')).map((b) => b.nir)).toEqual([MARC]);
    expect(await ports.protips.findBeneficiariesByName('Lefèvre', 'Marcel')).toEqual([]);
    expect(await ports.protips.findBeneficiariesByName('', 'Marc')).toEqual([]);
  });
});

describe('AGICA', () => {
  it('finds every record of an invoice number for a NIR, under any N° PS, whatever the number\'s case', async () => {
    const expected = [
      { invoiceNumber: 'f-2207', practitionerNumber: '691234567', nir: MARC, state: 'liquidee', date: '2016-01-20',
        rejectReason: null, paidInvoiceNumber: null },
      { invoiceNumber: 'F-2207', practitionerNumber: '690012345', nir: MARC, state: 'rejetee', date: '2016-01-15',
        rejectReason: 'Doublon total facture', paidInvoiceNumber: 'F-2100' },
    ];
    expect(await ports.agica.findInvoiceRecords('F-2207', MARC)).toEqual(expected);
    expect(await ports.agica.findInvoiceRecords(' f-2207 ', MARC)).toEqual(expected);
  });

  it('keeps NIRs apart, and records without a N° PS', async () => {
    expect(await ports.agica.findInvoiceRecords('F-2207', ELOISE)).toEqual([
      { invoiceNumber: 'F-2207', practitionerNumber: null, nir: ELOISE, state: 'liquidee_nul', date: '2016-01-21',
        rejectReason: null, paidInvoiceNumber: null },
    ]);
    expect(await ports.agica.findInvoiceRecords('F-2208', MARC)).toEqual([]);
  });
});

describe('VALERYS', () => {
  it('finds payments with an act of the same code on the same date, with all their acts', async () => {
    expect(await ports.valerys.findPaymentsForActs([MARC], [{ code: 'AMI', date: '2016-01-05' }])).toEqual([
      { invoiceNumber: 'F-2100', practitionerNumber: '691234567', nir: MARC, insurer: 'MGEN', paidOn: '2016-01-15',
        acts: [{ code: 'AMI', date: '2016-01-05' }, { code: 'AIS', date: '2016-01-07' }] },
    ]);
  });

  it('needs both the code and the date to match', async () => {
    expect(await ports.valerys.findPaymentsForActs([MARC], [{ code: 'AMI', date: '2016-01-07' }])).toEqual([]);
    expect(await ports.valerys.findPaymentsForActs([MARC], [{ code: 'AIS', date: '2016-01-05' }])).toEqual([]);
    const amk = await ports.valerys.findPaymentsForActs([MARC], [{ code: 'AMK', date: '2016-01-05' }]);
    expect(amk).toEqual([
      { invoiceNumber: null, practitionerNumber: '750044778', nir: MARC, insurer: 'AON', paidOn: '2016-01-16',
        acts: [{ code: 'AMK', date: '2016-01-05' }] },
    ]);
  });

  it('filters on the NIRs given, and returns each payment once', async () => {
    const acts = [{ code: 'AMI', date: '2016-01-05' }, { code: 'AIS', date: '2016-01-07' }, { code: 'AMK', date: '2016-01-05' }];
    expect((await ports.valerys.findPaymentsForActs([ELOISE], acts)).map((p) => p.invoiceNumber)).toEqual(['X-1']);
    expect((await ports.valerys.findPaymentsForActs([MARC, ELOISE], acts)).map((p) => p.invoiceNumber))
      .toEqual(['F-2100', null, 'X-1']);
    expect(await ports.valerys.findPaymentsForActs([ELOISE_TWIN], acts)).toEqual([]);
  });

  it('ignores acts that cannot match (no code, not a date) and empty lists', async () => {
    expect(await ports.valerys.findPaymentsForActs([MARC], [{ code: 'AMI', date: '2016-13-45' }, { code: ' ', date: '2016-01-05' }]))
      .toEqual([]);
    expect(await ports.valerys.findPaymentsForActs([], [{ code: 'AMI', date: '2016-01-05' }])).toEqual([]);
    expect(await ports.valerys.findPaymentsForActs([MARC], [])).toEqual([]);
  });

  it('returns catalogue entries with numeric prices; unknown codes are absent', async () => {
    expect(await ports.valerys.findCatalogueEntries(['MAU', 'AMI', 'XYZ', 'PH7/L', 'AMI'])).toEqual([
      { code: 'MAU', unitPrice: 1.35, majoration: true },
      { code: 'AMI', unitPrice: 3.15, majoration: false },
      { code: 'PH7/L', unitPrice: 0.125, majoration: false },
    ]);
    expect(await ports.valerys.findCatalogueEntries([])).toEqual([]);
  });

  it('finds an insurer by name, ignoring case and accents', async () => {
    expect(await ports.valerys.findInsurer('mgen')).toEqual({ name: 'MGEN', controlThreshold: 500 });
    expect(await ports.valerys.findInsurer(' INTERIALE ')).toEqual({ name: 'Intériale', controlThreshold: 1234.56 });
    expect(await ports.valerys.findInsurer('Aon')).toEqual({ name: 'AON', controlThreshold: null });
    expect(await ports.valerys.findInsurer('April')).toBeNull();
  });
});

describe('same answers as the in-memory ports (rules/memory-ports.ts)', () => {
  /** Absent, null and empty lists mean the same; `majoration` defaults to false. */
  function canonical(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(canonical);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value)
      .filter(([, v]) => v != null && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => [k, canonical(v)]);
    const out = Object.fromEntries(entries) as Record<string, unknown>;
    if ('unitPrice' in out) out.majoration ??= false;
    delete out.address; // the seed's extension for the Trame, not part of the port's Practitioner
    return out;
  }

  const acts = [{ code: 'AMI', date: '2016-01-05' }, { code: 'AMK', date: '2016-01-05' }, { code: 'AIS', date: '2016-01-08' }];
  const lookups: [string, (p: Ports) => Promise<unknown>][] = [
    ['practitioner', (p) => p.agaps.findPractitioner('690012345')],
    ['practitioner with address', (p) => p.agaps.findPractitioner('750044778')],
    ['unknown practitioner', (p) => p.agaps.findPractitioner('000000000')],
    ['beneficiary', (p) => p.protips.findBeneficiaryByNir(MARC)],
    ['beneficiary with two cards', (p) => p.protips.findBeneficiaryByNir(ELOISE)],
    ['homonyms', (p) => p.protips.findBeneficiariesByName('Lefevre-Dupont', 'Eloïse')],
    ['AGICA', (p) => p.agica.findInvoiceRecords('F-2207', MARC)],
    ['AGICA without N° PS', (p) => p.agica.findInvoiceRecords('f-2207', ELOISE)],
    ['payments', (p) => p.valerys.findPaymentsForActs([MARC, ELOISE], acts)],
    ['catalogue', (p) => p.valerys.findCatalogueEntries(['MAU', 'AMI', 'XYZ', 'PH7/L'])],
    ['insurer', (p) => p.valerys.findInsurer('interiale')],
    ['insurer without threshold', (p) => p.valerys.findInsurer('aon')],
  ];

  it('for every lookup of these tests', async () => {
    // The database holds the last example seeded (paye) and the extra data.
    const memory = createMemoryPorts({
      practitioners: [...examples.paye.practitioners!, ...extra.practitioners],
      beneficiaries: [...examples.paye.beneficiaries!, ...extra.beneficiaries],
      agica: extra.agica,
      payments: extra.payments,
      catalogue: [...examples.paye.catalogue!, ...extra.catalogue],
      insurers: [...examples.paye.insurers!, ...extra.insurers],
    } as ReferenceData);
    for (const [name, lookup] of lookups) {
      expect(canonical(await lookup(ports)), name).toEqual(canonical(await lookup(memory)));
    }
  });

  it('on PGlite, the same answers as on PostgreSQL, to the last field (one statement per lookup: lists as JSON)', async () => {
    const pglite = await openDatabase(undefined, { pgliteDir: 'memory://' });
    try {
      await seedReferences(pglite.db, allReferences());
      const embedded = createPostgresPorts(pglite.db);
      for (const [name, lookup] of lookups) expect(await lookup(embedded), name).toEqual(await lookup(ports));
    } finally {
      await pglite.close();
    }
  }, 60_000);
});

describe('seeding', () => {
  it('is idempotent: seeding everything again leaves the same rows', async () => {
    const before = await tableContents();
    await seedReferences(database.db, allReferences());
    await seedReferences(database.db, allReferences());
    expect(await tableContents()).toEqual(before);
  });

  it('replaces a beneficiary\'s cards and rights, a payment\'s acts, and updates the rest', async () => {
    await seedReference(database.db, examples['droits-contractuels-clos']);
    expect((await ports.protips.findBeneficiaryByNir(MARC))?.contractRights).toEqual([{ start: '2015-06-01', end: '2015-12-31' }]);

    await seedReference(database.db, {
      beneficiaries: [{ nir: ELOISE, lastName: 'Lefèvre-Dupont', firstName: 'Éloïse', cards: [] }],
      payments: [{ ...extra.payments[0], acts: [{ code: 'AIS', date: '2016-01-07' }] }],
      agica: [{ ...extra.agica[0], invoiceNumber: 'F-2207', state: 'rejetee', rejectReason: 'Autre' }],
      insurers: [{ name: 'mgen', controlThreshold: 250 }],
    });
    const eloise = await ports.protips.findBeneficiaryByNir(ELOISE);
    expect(eloise).toMatchObject({ cards: [], contractRights: [], birthDate: null, insurer: null });
    expect(await ports.valerys.findPaymentsForActs([MARC], [{ code: 'AMI', date: '2016-01-05' }])).toEqual([]);
    expect((await ports.valerys.findPaymentsForActs([MARC], [{ code: 'AIS', date: '2016-01-07' }]))[0].acts)
      .toEqual([{ code: 'AIS', date: '2016-01-07' }]);
    const records = await ports.agica.findInvoiceRecords('F-2207', MARC);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ invoiceNumber: 'F-2207', state: 'rejetee', rejectReason: 'Autre' });
    expect(await ports.valerys.findInsurer('MGEN')).toEqual({ name: 'mgen', controlThreshold: 250 });

    await seedReferences(database.db, allReferences()); // back to the fixtures for the other tests
  });

  it('rejects bad input with the path of each problem, without quoting values, and writes nothing', async () => {
    const bad = {
      practitioners: [{ number: '123456789' }, { number: '12345' }, { number: '123456789', headerEmail: 'nope' }],
      beneficiaries: [
        { nir: '2670499324079', lastName: 'A', firstName: 'B' },
        { nir: '26704993240', lastName: '', firstName: 'B', birthRank: 0 },
        { nir: '2670499324078', lastName: 'A', firstName: 'B', birthDate: '1967-02-30',
          cards: [{ insurer: 'AON', start: '01/01/2016', columns: { TRA: '100' } }, { start: '2016-02-01', end: '2016-01-01', columns: {} }],
          contractRights: [{}] },
      ],
      agica: [{ invoiceNumber: 'A1', nir: MARC }],
      payments: [{ nir: MARC, insurer: 'AON', acts: [{ code: 'AMI' }] }, { nir: MARC, insurer: 'AON', acts: [] }, { nir: MARC, insurer: 'AON' }],
      catalogue: [{ code: 'AMI', unitPrice: '3.15' }, 'MAU'],
      insurers: [{ name: 'MGEN' }, { name: 'mgen' }],
    };
    let error: unknown;
    try {
      validateReference(bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ReferenceValidationError);
    const issues = (error as ReferenceValidationError).issues;
    expect(issues).toEqual([
      'practitioners[1].number: doit comporter 9 chiffres (N° PS)',
      'practitioners[2].headerEmail: doit être une adresse e-mail',
      'beneficiaries[1].nir: doit comporter 13 caractères sans clé : des chiffres, 2A ou 2B admis en positions 6-7 (NIR)',
      'beneficiaries[1].lastName: doit être un texte de 1 à 100 caractères',
      'beneficiaries[1].birthRank: doit être un entier ≥ 1 (rang de naissance)',
      'beneficiaries[2].birthDate: doit être une date écrite AAAA-MM-JJ',
      'beneficiaries[2].cards[0].start: doit être une date écrite AAAA-MM-JJ',
      'beneficiaries[2].cards[0].columns.TRA: doit être un taux ≥ 0 (en pourcentage)',
      'beneficiaries[2].cards[1].insurer: est obligatoire',
      'beneficiaries[2].cards[1].end: ne doit pas précéder start',
      'beneficiaries[2].contractRights[0].start: est obligatoire',
      'agica[0].state: est obligatoire',
      'payments[0].acts[0].date: est obligatoire',
      'payments[2].acts: est obligatoire',
      'catalogue[0].unitPrice: doit être un nombre ≥ 0',
      'catalogue[1]: doit être de type object',
      'practitioners[2].number: same N° PS as practitioners[0].number',
      'payments[1]: same invoice number, N° PS, NIR, insurer and date as payments[0]',
      'payments[2]: same invoice number, N° PS, NIR, insurer and date as payments[0]',
      'insurers[1].name: same name as insurers[0].name',
    ]);
    expect(issues.join('\n')).not.toMatch(/\d{11}/); // no NIR quoted

    const before = await tableContents();
    await expect(seedReference(database.db, bad)).rejects.toBeInstanceOf(ReferenceValidationError);
    expect(await tableContents()).toEqual(before);
    expect(() => validateReference([])).toThrow('reference: doit être un objet');
    expect(() => validateReference({ beneficiaries: {} })).toThrow('beneficiaries: doit être de type array');
  });
});

describe('npm run seed', () => {
  const run = promisify(execFile);
  const tsx = join(REPO, 'node_modules/.bin/tsx');
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'seed-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function seed(files: string[], databaseUrl = database.url) {
    try {
      const { stdout, stderr } = await run(tsx, ['bin/seed.ts', ...files], {
        cwd: REPO,
        env: { ...process.env, DATABASE_URL: databaseUrl },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('accepts a spec example, a case file and a bare reference', async () => {
    const example = join(dir, 'example.json');
    const caseFile = join(dir, 'case.json');
    const bare = join(dir, 'bare.json');
    writeFileSync(example, JSON.stringify({ case: { receivedOn: '2016-02-23', invoice: {}, reference: examples.paye }, expected: {} }));
    writeFileSync(caseFile, JSON.stringify({ receivedOn: '2016-02-23', invoice: {}, reference: { insurers: [{ name: 'April' }] } }));
    writeFileSync(bare, JSON.stringify({ catalogue: [{ code: 'ZZZ', unitPrice: 1 }] }));
    const result = await seed([example, caseFile, bare]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      'Seeded postgres from 3 file(s), rows upserted: 2 practitioners, 1 beneficiaries (1 cards, 1 contract rights), '
        + '0 AGICA records, 0 payments (0 acts), 10 catalogue entries, 2 insurers',
    ]);
    expect(await ports.valerys.findInsurer('april')).toEqual({ name: 'April', controlThreshold: null });
    expect(await ports.valerys.findCatalogueEntries(['ZZZ'])).toEqual([{ code: 'ZZZ', unitPrice: 1, majoration: false }]);
  });

  it('exits 2 with the problems of every file, before writing anything', async () => {
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    const notJson = join(dir, 'not.json');
    writeFileSync(good, JSON.stringify({ insurers: [{ name: 'Smatis' }] }));
    writeFileSync(bad, JSON.stringify({ case: { reference: { beneficiaries: [{ nir: MARC, lastName: 'X', firstName: 'Y', cards: [{ insurer: 'AON', start: 'soon', columns: {} }] }] } } }));
    writeFileSync(notJson, `nir ${MARC}`); // V8 quotes this in its message
    const result = await seed([good, bad, notJson, join(dir, 'missing.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}: beneficiaries[0].cards[0].start: doit être une date écrite AAAA-MM-JJ`);
    expect(result.stderr).toContain(`${notJson}: not JSON`);
    expect(result.stderr).toContain(`${join(dir, 'missing.json')}: ENOENT`);
    expect(result.stderr).not.toContain(MARC);
    expect(await ports.valerys.findInsurer('smatis')).toBeNull();
  });

  it('exits 1 on a database error', async () => {
    const good = join(dir, 'good.json');
    const url = new URL(database.url);
    url.pathname = '/tprejects_no_such_database';
    const result = await seed([good], url.toString());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Database error: .*does not exist/m);
  });

  it('exits 2 without arguments', async () => {
    expect((await seed([])).code).toBe(2);
  });
});
