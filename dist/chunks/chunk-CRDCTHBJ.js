import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);

// src/errors.ts
var UmlenvError = class extends Error {
  constructor(message, hint, options) {
    super(message, options);
    this.hint = hint;
  }
  hint;
  name = "UmlenvError";
};
function describeError(error) {
  if (!(error instanceof Error)) return String(error);
  const lines = [error.message];
  if (error instanceof UmlenvError && error.hint) lines.push(`fix: ${error.hint}`);
  let cause = error.cause;
  while (cause instanceof Error) {
    lines.push(`cause: ${cause.message}`);
    cause = cause.cause;
  }
  return lines.join("\n");
}
function errorMessage(error) {
  return error instanceof Error ? error.message : String(error);
}

export {
  UmlenvError,
  describeError,
  errorMessage
};
