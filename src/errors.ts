/** An error a user can act on: what went wrong, and how to fix it. */
export class UmlenvError extends Error {
  override name = 'UmlenvError';
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// Renders an error for a terminal or CI log: message, fix, then causes.
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const lines = [error.message];
  if (error instanceof UmlenvError && error.hint) lines.push(`fix: ${error.hint}`);
  let cause = error.cause;
  while (cause instanceof Error) {
    lines.push(`cause: ${cause.message}`);
    cause = cause.cause;
  }
  return lines.join('\n');
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
