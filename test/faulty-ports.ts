// Workers with a port that misbehaves for one invoice, for tests and for recording histories: AGICA's invoice
// lookup runs `before(invoiceNumber)` first — throw to fail it, await to hold it.

import type { ActivityDependencies } from '../activities/index.js';

export function beforeAgicaLookup(before: (invoiceNumber: string) => Promise<void> | void) {
  return (d: ActivityDependencies): ActivityDependencies => ({
    ...d,
    ports: {
      ...d.ports,
      agica: {
        ...d.ports.agica,
        async findInvoiceRecords(invoiceNumber: string, nir: string) {
          await before(invoiceNumber);
          return d.ports.agica.findInvoiceRecords(invoiceNumber, nir);
        },
      },
    },
  });
}
