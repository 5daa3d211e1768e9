/**
 * The base of every error the domain (store, runtime, node, auth) raises on purpose. It carries a `code`
 * from a closed union declared by the module that throws it, never an HTTP status: the server maps codes to
 * statuses and shapes in one place (`src/server/errors.ts`, `domainStatus`). The message is what a client
 * may read; internal detail goes into `cause` (logged, never sent).
 *
 *   type ContextErrorCode = 'context_not_found' | 'not_a_member' | …;
 *   export class ContextError extends DomainError<ContextErrorCode> {}
 *   throw new ContextError('context_not_found', 'Context not found');
 */
export class DomainError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
