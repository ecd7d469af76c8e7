import { registerExternalOutboxEvent } from '@tally/database';

/** A job was accepted (payload: network_job_id, client_id, priority, replicas, requirements, service). */
export const JOB_SUBMITTED = 'JobSubmitted';

/**
 * Job events no Tally handler listens to (the start of a run, a start given back because
 * its poll could not deliver it, the move to AUDITED): kept in the outbox for external
 * transports, written published (see registerExternalOutboxEvent).
 */
export const JOB_STARTED = 'JobStarted';
export const JOB_START_RELEASED = 'JobStartReleased';
export const JOB_AUDITED = 'JobAudited';
for (const type of [JOB_STARTED, JOB_START_RELEASED, JOB_AUDITED]) registerExternalOutboxEvent(type);
