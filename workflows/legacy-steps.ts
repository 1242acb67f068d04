// The step order the workflows that ran the analysis loop themselves (invoice workflow v1…v3: one local activity per
// step) recorded in their histories, frozen here: a change to the rules' order (rules/analyze.ts ANALYSIS_STEPS), a
// new step or one removed, must not change what replaying those histories schedules. Workflows started since run
// the whole analysis in one activity (`analyseClaim`) and never read the order.
// Never edit this list.

import type { StepCode } from '../rules/types.js';

export const LEGACY_STEP_CODES: readonly StepCode[] = ['G0', 'G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7', 'G8'];
