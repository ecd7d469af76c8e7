import { eventSubjects } from '@tally/database';
import { SCORECARD_UPDATE } from '../domain';
import './provers.events';

describe('provers event subjects', () => {
  it('puts a scorecard update on scorecard.<prover_id>, its id escaped as one token', () => {
    expect(eventSubjects({ event_type: SCORECARD_UPDATE, payload: { prover_id: 'prover-42' } })).toEqual([
      'tally.scorecard.prover-42',
    ]);
    expect(eventSubjects({ event_type: SCORECARD_UPDATE, payload: { prover_id: 'eu.west.1' } })).toEqual([
      'tally.scorecard.eu%2Ewest%2E1',
    ]);
  });
});
