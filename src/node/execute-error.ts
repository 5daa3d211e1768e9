import { DomainError } from '../util/errors.ts';

/** Upstream's ExecuteError / ExecutionError variants (docs/wire.md, JSON-RPC); `data` is omitted for unit variants. */
export type ExecuteErrorCode =
  | 'ContextNotFound'
  | 'Unauthorized'
  | 'Uninitialized'
  | 'ApplicationNotInstalled'
  | 'FunctionCallError'
  | 'SerdeError'
  | 'AliasResolutionFailed'
  | 'InternalError';

/** The code is upstream's variant name; JSON-RPC answers `toJSON()` ({type, data}) as the error. */
export class ExecuteError extends DomainError<ExecuteErrorCode> {
  constructor(
    code: ExecuteErrorCode,
    readonly data?: unknown,
  ) {
    super(code, typeof data === 'string' ? data : code);
  }
  /** Upstream's name for the variant (the code). */
  get type(): ExecuteErrorCode {
    return this.code;
  }
  toJSON(): { type: string; data?: unknown } {
    return this.data === undefined ? { type: this.type } : { type: this.type, data: this.data };
  }
}
