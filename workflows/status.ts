// An invoice claim's status, set in one place: the state its `status` query and Updates read, and its search
// attributes (InvoiceStatus, with the claim's motif once it has one), which the console and the CLI list claims by.
// No memo holds it. Every invoice workflow (invoice.ts, and invoice-v2.ts for the older histories) sets it here.

import { upsertSearchAttributes } from '@temporalio/workflow';
import { motifKey, statusKey, type InvoiceState, type InvoiceStatus } from './contract.js';

export function setStatus(state: InvoiceState, status: InvoiceStatus): void {
  state.status = status;
  upsertSearchAttributes([
    { key: statusKey, value: status },
    ...(state.motif ? [{ key: motifKey, value: state.motif }] : []),
  ]);
}
