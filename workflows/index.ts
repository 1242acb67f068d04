// Every workflow the worker registers.
export { invoiceWorkflow } from './invoice.js';
export { batchWorkflow } from './batch.js';
export { mailRetryWorkflow } from './mail.js';
export { archiveHistoriesWorkflow, purgeArchivesWorkflow } from './archive.js';
export { webhookDeliveryWorkflow } from './webhook.js';
