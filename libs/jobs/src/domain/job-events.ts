import { registerExternalOutboxEvent } from '@tally/database';

/** A job was accepted (payload: network_job_id, client_id, priority, replicas, requirements, service). */
export const JOB_SUBMITTED = 'JobSubmitted';

/**
 * Job events no Tally handler listens to (the start of a run, the move to AUDITED): kept in
 * the outbox for external transports, written published (see registerExternalOutboxEvent).
 */
export const JOB_STARTED = 'JobStarted';
export const JOB_AUDITED = 'JobAudited';
registerExternalOutboxEvent(JOB_STARTED);
registerExternalOutboxEvent(JOB_AUDITED);
