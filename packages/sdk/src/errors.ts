import { ErrorCode } from '../../../libs/shared/src/errors/error-code';

/** Every DSE code the API returns (docs/errors.md). */
export type TallyErrorCode = `${ErrorCode}`;
export { ErrorCode };

/** An RFC 9457 problem+json body as Tally writes it; fields beyond these are the error's details. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code?: TallyErrorCode;
  instance?: string;
  [field: string]: unknown;
}

/** A refused request: its DSE code, HTTP status, title, detail and the whole problem body. */
export class TallyError extends Error {
  readonly code: TallyErrorCode | undefined;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly problem: Problem;
  /** The X-Request-Id of the refused request, to find it in the server's logs. */
  readonly requestId: string | undefined;

  constructor(problem: Problem, requestId?: string) {
    super(`${problem.code ?? problem.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`);
    this.name = 'TallyError';
    this.code = problem.code;
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.problem = problem;
    this.requestId = requestId;
  }

  /** The error of a response that is not 2xx; a body that is not problem+json keeps its text as detail. */
  static async from(response: Response): Promise<TallyError> {
    const text = await response.text();
    let problem: Problem | undefined;
    try {
      const body = JSON.parse(text) as Problem;
      if (body && typeof body === 'object' && typeof body.title === 'string') problem = body;
    } catch {
      // Not JSON (a proxy's error page): described below.
    }
    problem ??= {
      type: 'about:blank',
      title: response.statusText || 'HTTP error',
      status: response.status,
      detail: text,
    };
    return new TallyError(
      { ...problem, status: problem.status ?? response.status },
      response.headers.get('x-request-id') ?? undefined,
    );
  }
}

/** True when `error` is a TallyError, with `code` when given. */
export function isTallyError(error: unknown, code?: TallyErrorCode): error is TallyError {
  return error instanceof TallyError && (code === undefined || error.code === code);
}
