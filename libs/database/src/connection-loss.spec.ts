import { QueryRunnerAlreadyReleasedError } from 'typeorm';
import { isConnectionLoss } from './connection-loss';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isConnectionLoss', () => {
  it.each([
    ['the server shut down (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['a crash shutdown (57P02)', pgError('57P02')],
    ['the server starting up (57P03)', pgError('57P03', 'the database system is starting up')],
    ['a connection exception (08006)', pgError('08006')],
    ['too many connections (53300)', pgError('53300')],
    ['a refused socket', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a reset socket', pgError('ECONNRESET', 'read ECONNRESET')],
    ['a connection ended under a query', new Error('Connection terminated unexpectedly')],
    ['a pool that timed out', new Error('timeout exceeded when trying to connect')],
    ['a client that lost its connection', new Error('Client has encountered a connection error and is not queryable')],
    ['a transaction whose connection failed between statements', new QueryRunnerAlreadyReleasedError()],
    ['TypeORM wrapping a driver error', Object.assign(new Error('query failed'), { driverError: pgError('57P01') })],
    ['a cause chain', new Error('outer', { cause: new Error('Connection terminated unexpectedly') })],
  ])('is true for %s', (_, error) => expect(isConnectionLoss(error)).toBe(true));

  it.each([
    ['a unique violation', pgError('23505')],
    ['a serialization failure', pgError('40001')],
    ['a check violation', pgError('23514')],
    ['a type error', new TypeError("Cannot read properties of null (reading 'length')")],
    ['a string', 'Connection terminated unexpectedly'],
    ['undefined', undefined],
    [
      'a cycle',
      (() => {
        const e = new Error('a') as Error & { cause?: unknown };
        e.cause = e;
        return e;
      })(),
    ],
  ])('is false for %s', (_, error) => expect(isConnectionLoss(error)).toBe(false));
});
