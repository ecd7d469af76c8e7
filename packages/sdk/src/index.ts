export {
  TallyClient,
  type TallyClientOptions,
  type PageOptions,
  type PollOptions,
  type GetData,
  type PageItem,
} from './client';
export { TallyError, isTallyError, ErrorCode, type TallyErrorCode, type Problem } from './errors';
export { type TallyEvent, type EventStreamOptions } from './events';
export { toMicros, fromMicros, MICROS_PER_CREDIT } from './money';
export { type RetryOptions } from './retry';
export * from './verify';
export type { paths, components, operations } from './generated/schema';
