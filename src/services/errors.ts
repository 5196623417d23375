/**
 * The failures use cases report. Each carries a stable machine code; only the HTTP layer turns the
 * class into a status.
 */
export abstract class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The thing does not exist, or belongs to another company (never tell which). */
export class NotFoundError extends ServiceError {}
/** The input names something invalid (unknown workspace, bad domain...). */
export class InvalidInputError extends ServiceError {}
/** The change would duplicate something unique. */
export class ConflictError extends ServiceError {}
/** The caller is known but may not do this. */
export class ForbiddenError extends ServiceError {}
/** The thing existed but can no longer be used (expired or used invitation). */
export class GoneError extends ServiceError {}
/** The service cannot work until an operator fixes its configuration (answered 503, never 500). */
export class UnavailableError extends ServiceError {}
/** A remote system the use case depends on failed (an IdP's metadata URL): answered 502. */
export class BadGatewayError extends ServiceError {}
