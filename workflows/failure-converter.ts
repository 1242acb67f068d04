// The failure converter of every process (client, worker, workflow bundle, replayer): a failure's message and stack
// trace travel as an encoded payload, so that they go through the payload codec (encrypted) like any other
// payload — an error's message can quote a name. Loaded by path (`failureConverterPath`, see
// activities/encryption.ts): this module exports `failureConverter`.

import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
