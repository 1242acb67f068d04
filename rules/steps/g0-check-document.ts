// G0 Document: is the main document a readable invoice matching the GTO task?

import { continueWith, fire, type StepInput, type StepOutcome } from '../context.js';

const KIND_LABELS: Record<string, string> = {
  decompte_ro: 'décompte du régime obligatoire',
  bordereau_virement: 'bordereau de virement',
  rsi: 'document du RSI',
};

export async function checkDocument({ invoice }: StepInput): Promise<StepOutcome> {
  const check = 'checkDocument';
  if (!invoice.flags.readable) {
    return fire('G0', check, ['document illisible'], { motif: 'document_non_exploitable' });
  }
  const kind = invoice.kind ?? 'facture';
  if (kind !== 'facture') {
    // MO: « Ne seront pas considérés comme valables les bordereaux de virement / décomptes du régime obligatoire […], les documents du RSI. »
    return fire('G0', check, [`document principal : ${KIND_LABELS[kind] ?? kind}`], {
      motif: 'erreur_contenu_facture',
      error: 'document_non_conforme',
    });
  }
  if (!invoice.flags.matchesTask) {
    const comment = invoice.taskMismatch?.trim() || 'Le document ne correspond pas à la tâche GTO';
    return fire('G0', check, ['document différent de la tâche GTO'], { motif: 'incoherence_document_tache', comment });
  }
  return continueWith('G0', check, ['document lisible', 'facture', 'conforme à la tâche GTO']);
}
