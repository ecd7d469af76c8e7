import { eventSubjects } from '@tally/database';
import { JOB_AUDIT, JOB_COMPLETED, JOB_START_RELEASED, JOB_SUBMITTED, JOB_USAGE_REPORTED } from './jobs.events';

describe('jobs event subjects', () => {
  it('puts job events on job.<network_job_id>.<event> and the audit entry on audit.<network_job_id>', () => {
    const payload = { network_job_id: '9223372036854775807' };
    expect(eventSubjects({ event_type: JOB_SUBMITTED, payload })).toEqual(['tally.job.9223372036854775807.submitted']);
    expect(eventSubjects({ event_type: JOB_COMPLETED, payload })).toEqual(['tally.job.9223372036854775807.completed']);
    expect(eventSubjects({ event_type: JOB_START_RELEASED, payload })).toEqual([
      'tally.job.9223372036854775807.start_released',
    ]);
    expect(eventSubjects({ event_type: JOB_USAGE_REPORTED, payload })).toEqual([
      'tally.job.9223372036854775807.usage_reported',
    ]);
    expect(eventSubjects({ event_type: JOB_AUDIT, payload })).toEqual(['tally.audit.9223372036854775807']);
  });
});
