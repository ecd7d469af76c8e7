import { readScorecardUpdate, scorecardUpdateEvent, type ScoreUpdate } from './scorecard-update-event';

const update: ScoreUpdate = {
  prover_id: 'prover-42',
  delta_success: 1,
  delta_failure: 0,
  new_score_value: '93.123456',
  expected_version: 7,
  event_id: '0b5a3d4e-8c4f-4a53-9d6e-6a0f6f0b7e11',
  emitted_at: '2025-12-28T03:50:00.000Z',
};

describe('ScorecardUpdateEvent in the JSON mapping', () => {
  it('writes the score as a number and the version as an int64 string, as §5 names the fields', () => {
    const event = scorecardUpdateEvent(update);
    expect(JSON.parse(JSON.stringify(event))).toEqual({
      prover_id: 'prover-42',
      delta_success: 1,
      delta_failure: 0,
      new_score_value: 93.123456,
      expected_version: '7',
      event_id: update.event_id,
      emitted_at: '2025-12-28T03:50:00.000Z',
    });
  });

  it('reads back the exact decimal score (at most 9 significant digits survive a double)', () => {
    for (const score of ['0', '0.000001', '50', '55.5', '99.999999', '100', '33.333333', '12.345678']) {
      const wire = JSON.parse(JSON.stringify(scorecardUpdateEvent({ ...update, new_score_value: score })));
      expect(readScorecardUpdate(wire)).toEqual({ ...update, new_score_value: score });
    }
  });

  it('reads events written before the mapping (score a decimal string, version a number)', () => {
    expect(readScorecardUpdate({ ...update, new_score_value: '55', expected_version: 3 })).toEqual({
      ...update,
      new_score_value: '55',
      expected_version: 3,
    });
  });

  it.each([
    { new_score_value: 100.5 },
    { new_score_value: -1 },
    { new_score_value: '1e2' },
    { expected_version: '1.5' },
    { expected_version: '-1' },
    { expected_version: 1.5 },
    { delta_success: -1 },
    { emitted_at: 'yesterday' },
    { prover_id: 42 },
  ])('refuses %p', (patch) => {
    expect(readScorecardUpdate({ ...scorecardUpdateEvent(update), ...patch })).toBeUndefined();
  });
});
