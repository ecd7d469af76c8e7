import { eventSubjects } from '@tally/database';
import { SETTLEMENT_BATCH_SEALED } from './settlement.events';

describe('settlement event subjects', () => {
  it('puts every sealed batch on settlement.batch', () => {
    expect(eventSubjects({ event_type: SETTLEMENT_BATCH_SEALED, payload: { batch_no: 3 } })).toEqual([
      'tally.settlement.batch',
    ]);
  });
});
