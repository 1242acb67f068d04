// What the whole console shares: the session, the motifs, which optional parts of the API exist.

export const store = {
  /** `{ keyId, name, role }` from GET /api/session. */
  session: null,
  /** `[{ code, label, routing, waitsForDecision }]`, in the MO's order. */
  motifs: [],
  motifByCode: new Map(),
  /** Names seen in task events (actor id → display name), when the API gives both. */
  people: new Map(),
  /** E-mails and batches come with a later version of the API: their menu entries are hidden while they 404. */
  features: { outbox: false, batches: false },
};

export function setMotifs(motifs) {
  store.motifs = Array.isArray(motifs) ? motifs : [];
  store.motifByCode = new Map(store.motifs.map((m) => [m.code, m]));
}

export function motifLabel(code) {
  return store.motifByCode.get(code)?.label ?? code ?? '—';
}

/** Managers and admins resolve; auditors (and anyone else) read only. */
export function canResolve() {
  return store.session?.role === 'manager' || store.session?.role === 'admin';
}
