// Amounts in euros, compared to the cent (spec G7/G8).

/** Rounded to the cent. */
export function roundCents(value: number): number {
  return Math.round((value + Math.sign(value) * 1e-9) * 100) / 100;
}

/** Equal within the spec's tolerance of 0.01 €. */
export function withinCent(a: number, b: number): boolean {
  return Math.abs(roundCents(a) - roundCents(b)) <= 0.01 + 1e-9;
}

/** Equal once both are rounded to the cent. */
export function sameCents(a: number, b: number): boolean {
  return Math.abs(roundCents(a) - roundCents(b)) < 0.005;
}

/** `2.5` → `2,50 €`. */
export function formatEuros(value: number): string {
  return `${roundCents(value).toFixed(2).replace('.', ',')} €`;
}
