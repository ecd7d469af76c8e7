import { onUncaught } from './last-resort';

describe('onUncaught', () => {
  const run = (error: unknown) => {
    const logged: string[] = [];
    const exits: number[] = [];
    onUncaught(
      error,
      { error: (_, m) => logged.push(`error: ${m}`), fatal: (_, m) => logged.push(`fatal: ${m}`) },
      (code) => exits.push(code),
    );
    return { logged, exits };
  };

  it('keeps serving after a lost database connection, and logs it', () => {
    const lost = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(run(lost)).toEqual({
      logged: ['error: a lost database connection reached the process unhandled; still serving'],
      exits: [],
    });
    expect(run(new Error('Connection terminated unexpectedly')).exits).toEqual([]);
  });

  it('exits 1 on a programming error, after logging it as fatal', () => {
    expect(run(new TypeError("Cannot read properties of undefined (reading 'x')"))).toEqual({
      logged: ['fatal: uncaught error; exiting'],
      exits: [1],
    });
  });
});
